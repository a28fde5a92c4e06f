import type { AnyProjection } from './projection.js';
import { iacLocksProjection } from './iac/iac-locks.projection.js';
import { iacStatesProjection } from './iac/iac-states.projection.js';

/** Every read model the service keeps; each feature adds its projection here. */
export const projectionCatalogue: readonly AnyProjection[] = [iacStatesProjection, iacLocksProjection];
