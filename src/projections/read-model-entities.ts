import { ProjectionCheckpointEntity } from './checkpoints/projection-checkpoint.entity.js';
import { IacLockEntity } from './iac/iac-lock.entity.js';
import { IacStateEntity } from './iac/iac-state.entity.js';

/** Every read-model entity the ORM maps; each feature adds its own here. */
export const readModelEntities = [ProjectionCheckpointEntity, IacStateEntity, IacLockEntity];
