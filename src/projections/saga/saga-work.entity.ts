import { EntitySchema } from '@mikro-orm/core';
import type { SagaState } from '../../domain/saga/saga.state.js';

/**
 * `saga_work`: the process manager's durable work table — its outbox of next commands and its timer
 * queue. The `saga-work` projection, its only writer, writes a row's action, step, due time and
 * folded state with its checkpoint; workers claim due rows through `saga_leases` (their own
 * table) and re-read the stream before acting.
 */
export interface SagaWorkRow {
  sagaId: string;
  revisionSeen: number;
  /** execute | compensate | finish (complete, roll back, cancel or fail the saga) | none (failed: waits for an operator). */
  action: string;
  step: number | null;
  dueAt: Date;
  attempts: number;
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
    state: { type: 'json' },
  },
});
