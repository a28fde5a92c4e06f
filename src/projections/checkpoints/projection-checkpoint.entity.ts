import { EntitySchema } from '@mikro-orm/core';

export type ProjectionStatus = 'running' | 'stopped' | 'rebuilding';

export interface ProjectionCheckpoint {
  name: string;
  /** formatPosition() of the last event applied. */
  position: string;
  status: ProjectionStatus;
  eventsApplied: string;
  lastEventAt: Date | null;
  lastError: string | null;
  failedEventId: string | null;
  failedPosition: string | null;
  updatedAt: Date;
}

export const ProjectionCheckpointEntity = new EntitySchema<ProjectionCheckpoint>({
  name: 'ProjectionCheckpoint',
  tableName: 'projection_checkpoints',
  properties: {
    name: { type: 'string', primary: true },
    position: { type: 'string' },
    status: { type: 'string' },
    eventsApplied: { type: 'bigint', fieldName: 'events_applied' },
    lastEventAt: { type: 'datetime', nullable: true, fieldName: 'last_event_at' },
    lastError: { type: 'text', nullable: true, fieldName: 'last_error' },
    failedEventId: { type: 'uuid', nullable: true, fieldName: 'failed_event_id' },
    failedPosition: { type: 'string', nullable: true, fieldName: 'failed_position' },
    updatedAt: { type: 'datetime', fieldName: 'updated_at' },
  },
});
