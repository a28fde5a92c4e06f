import type { AnyProjection } from './projection.js';

/** Every read model the service keeps; each feature adds its projection here. */
export const projectionCatalogue: readonly AnyProjection[] = [];
