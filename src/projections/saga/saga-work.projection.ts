import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { SAGA_EVENT_TYPES, type SagaEvent } from '../../domain/saga/saga.events.js';
import { evolve as evolveSaga, initialState, isTerminal } from '../../domain/saga/saga.state.js';
import { next } from '../../domain/saga/saga.workflow.js';
import type { Projection } from '../projection.js';
import { SagaWorkEntity, type SagaWorkRow } from './saga-work.entity.js';

/**
 * Folds each saga into its next piece of work, with the pure workflow evaluated at the event's own
 * time. A finished saga's row is deleted. Every new event clears the lease: the work is new, and a
 * worker still busy with the saga holds its per-saga lock, so a second claimer backs off.
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
    if (state.status === 'new' || isTerminal(state)) return null;
    const eventAt = new Date(event.data.at);
    const action = next(state, eventAt);
    const base = { sagaId: event.data.sagaId, revisionSeen: Number(event.revision), leaseOwner: null, leaseUntil: null, state };
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
