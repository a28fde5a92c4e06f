import type { AnyProjection } from './projection.js';
import { cloudDriftProjection } from './drift/cloud-drift.projection.js';
import { cloudProvisionedProjection } from './drift/cloud-provisioned.projection.js';
import { driftPoliciesProjection } from './drift/drift-policies.projection.js';
import { iacLocksProjection } from './iac/iac-locks.projection.js';
import { iacStatesProjection } from './iac/iac-states.projection.js';
import { cloudResourcesProjection } from './inventory/cloud-resources.projection.js';
import { sagaRunsProjection } from './saga/saga-runs.projection.js';
import { sagaWorkProjection } from './saga/saga-work.projection.js';

/** Every read model the service keeps; each feature adds its projection here. */
export const projectionCatalogue: readonly AnyProjection[] = [
  iacStatesProjection,
  iacLocksProjection,
  sagaWorkProjection,
  sagaRunsProjection,
  cloudResourcesProjection,
  cloudProvisionedProjection,
  cloudDriftProjection,
  driftPoliciesProjection,
];
