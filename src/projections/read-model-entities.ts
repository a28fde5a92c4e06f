import { ProjectionCheckpointEntity } from './checkpoints/projection-checkpoint.entity.js';

/** Every read-model entity the ORM maps; each feature adds its own here. */
export const readModelEntities = [ProjectionCheckpointEntity];
