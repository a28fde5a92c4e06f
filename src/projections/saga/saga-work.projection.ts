import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { SAGA_EVENT_TYPES, type SagaEvent } from '../../domain/saga/saga.events.js';
import { evolve as evolveSaga, initialState, isTerminal } from '../../domain/saga/saga.state.js';
import { next } from '../../domain/saga/saga.workflow.js';
import type { Projection } from '../projection.js';
import { SagaWorkEntity, type SagaWorkRow } from './saga-work.entity.js';

/** Not due before the end of time: a failed saga's row waits for an operator's CompensationRetryRequested. */
const NEVER = new Date('9999-12-31T00:00:00.000Z');

/**
 * Folds each saga into its next piece of work, with the pure workflow evaluated at the event's own
 * time. A finished saga's row is deleted, but a failed one's, which an operator may retry. Leases
 * are the workers' (saga_leases), not this table's.
 */
export const sagaWorkProjection: Projection<SagaWorkRow> = {
  name: 'saga-work',
  entity: SagaWorkEntity,
  key: 'sagaId',
  eventTypes: SAGA_EVENT_TYPES,
  keyOf: (event) => (event as DomainEvent & SagaEvent).data.sagaId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & SagaEvent;
    const state = evolveSaga(row?.state ?? initialState(), event);
    if (state.status === 'new') return null;
    // a failed saga may be asked to compensate again: its state stays, due never, until then
    if (state.status === 'failed') return { sagaId: event.data.sagaId, revisionSeen: Number(event.revision), state, action: 'none', step: null, attempts: 0, dueAt: NEVER };
    if (isTerminal(state)) return null;
    const eventAt = new Date(event.data.at);
    const action = next(state, eventAt);
    const base = { sagaId: event.data.sagaId, revisionSeen: Number(event.revision), state };
    switch (action.type) {
      case 'run':
        return { ...base, action: 'execute', step: action.step, attempts: action.attempt, dueAt: eventAt };
      case 'compensate':
        return { ...base, action: 'compensate', step: action.step, attempts: action.attempt, dueAt: eventAt };
      case 'wait':
        return { ...base, action: state.status === 'compensating' ? 'compensate' : 'execute', step: row?.step ?? null, attempts: row?.attempts ?? 0, dueAt: new Date(action.until) };
      case 'complete':
      case 'roll-back':
      case 'cancel-done':
      case 'fail':
        return { ...base, action: 'finish', step: null, attempts: 0, dueAt: eventAt };
      case 'nothing':
        return null;
      default: {
        const _: never = action;
        throw new Error(`saga-work does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
