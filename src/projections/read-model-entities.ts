import { ProjectionCheckpointEntity } from './checkpoints/projection-checkpoint.entity.js';
import { CloudDriftEntity } from './drift/cloud-drift.entity.js';
import { CloudProvisionedEntity } from './drift/cloud-provisioned.entity.js';
import { DriftPolicyEntity } from './drift/drift-policy.entity.js';
import { IacLockEntity } from './iac/iac-lock.entity.js';
import { IacStateEntity } from './iac/iac-state.entity.js';
import { CloudResourceEntity } from './inventory/cloud-resource.entity.js';
import { SagaRunEntity } from './saga/saga-run.entity.js';
import { SagaWorkEntity } from './saga/saga-work.entity.js';

/** Every read-model entity the ORM maps; each feature adds its own here. */
export const readModelEntities = [
  ProjectionCheckpointEntity,
  IacStateEntity,
  IacLockEntity,
  SagaWorkEntity,
  SagaRunEntity,
  CloudResourceEntity,
  CloudProvisionedEntity,
  CloudDriftEntity,
  DriftPolicyEntity,
];
