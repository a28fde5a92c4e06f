import { EntitySchema } from '@mikro-orm/core';
import type { SagaState } from '../../domain/saga/saga.state.js';

/**
 * `saga_work`: the process manager's durable work table — its outbox of next commands and its timer
 * queue. The `saga-work` projection writes a row's action, step, due time and folded state with its
 * checkpoint; workers claim due rows (lease owner and until) and re-read the stream before acting.
 */
export interface SagaWorkRow {
  sagaId: string;
  revisionSeen: number;
  /** execute | compensate | finish (complete, roll back, cancel or fail the saga). */
  action: string;
  step: number | null;
  dueAt: Date;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  state: SagaState;
}

export const SagaWorkEntity = new EntitySchema<SagaWorkRow>({
  name: 'SagaWork',
  tableName: 'saga_work',
  properties: {
    sagaId: { type: 'string', primary: true, fieldName: 'saga_id' },
    revisionSeen: { type: 'integer', fieldName: 'revision_seen' },
    action: { type: 'string' },
    step: { type: 'integer', nullable: true },
    dueAt: { type: 'datetime', fieldName: 'due_at' },
    attempts: { type: 'integer' },
    leaseOwner: { type: 'string', nullable: true, fieldName: 'lease_owner' },
    leaseUntil: { type: 'datetime', nullable: true, fieldName: 'lease_until' },
    state: { type: 'json' },
  },
});
