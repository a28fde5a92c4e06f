import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { SagaEvent, SagaEventOf } from '../../domain/saga/saga.events.js';
import type { Projection } from '../projection.js';
import { SagaStepResultEntity, type SagaStepResultRow } from './saga-step-result.entity.js';

type StepEvent = SagaEventOf<'StepStarted' | 'StepSucceeded' | 'StepWaiting' | 'StepFailed' | 'StepCompensated' | 'StepCompensationFailed'>;

export const stepResultId = (sagaId: string, step: number): string => `${sagaId}/${step}`;

export const sagaStepResultsProjection: Projection<SagaStepResultRow> = {
  name: 'saga-step-results',
  entity: SagaStepResultEntity,
  key: 'id',
  eventTypes: ['StepStarted', 'StepSucceeded', 'StepWaiting', 'StepFailed', 'StepCompensated', 'StepCompensationFailed'] satisfies StepEvent['type'][],
  keyOf: (event) => {
    const data = (event as DomainEvent & StepEvent).data;
    return stepResultId(data.sagaId, data.step);
  },
  evolve(existing, domainEvent) {
    const event = domainEvent as DomainEvent & SagaEvent & StepEvent;
    const d = event.data;
    const at = new Date(d.at);
    const row: SagaStepResultRow = existing ?? {
      id: stepResultId(d.sagaId, d.step),
      sagaId: d.sagaId,
      stepIndex: d.step,
      name: d.name,
      status: 'pending',
      attempts: 0,
      output: null,
      error: null,
      startedAt: null,
      finishedAt: null,
      compensated: false,
      compensatedAt: null,
    };
    switch (event.type) {
      case 'StepStarted':
        return { ...row, status: 'running', attempts: Math.max(row.attempts, event.data.attempt), startedAt: row.startedAt ?? at };
      case 'StepWaiting':
        return { ...row, status: 'waiting', attempts: Math.max(row.attempts, event.data.attempt) };
      case 'StepSucceeded':
        return { ...row, status: 'succeeded', attempts: Math.max(row.attempts, event.data.attempt), output: event.data.output ?? null, error: event.data.ignoredError, finishedAt: at };
      case 'StepFailed':
        return {
          ...row,
          status: event.data.willRetry ? 'retrying' : 'failed',
          attempts: Math.max(row.attempts, event.data.attempt),
          error: event.data.error,
          finishedAt: event.data.willRetry ? row.finishedAt : at,
        };
      case 'StepCompensated':
        return { ...row, status: 'compensated', compensated: true, compensatedAt: at };
      case 'StepCompensationFailed':
        return { ...row, status: 'compensation_failed', error: event.data.error };
      default: {
        const _: never = event;
        throw new Error(`saga-step-results does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
