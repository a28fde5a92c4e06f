import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { SAGA_EVENT_TYPES, type SagaEvent } from '../../domain/saga/saga.events.js';
import type { Projection } from '../projection.js';
import { SagaRunEntity, type SagaRunRow } from './saga-run.entity.js';

export const sagaRunsProjection: Projection<SagaRunRow> = {
  name: 'saga-runs',
  entity: SagaRunEntity,
  key: 'id',
  eventTypes: SAGA_EVENT_TYPES,
  keyOf: (event) => (event as DomainEvent & SagaEvent).data.sagaId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & SagaEvent;
    const at = new Date(event.data.at);
    if (event.type === 'SagaStarted') {
      if (row) return row;
      const d = event.data;
      return {
        id: d.sagaId,
        kind: d.kind,
        definition: d.definition,
        version: d.version,
        status: 'running',
        steps: d.steps,
        currentStep: d.steps[0] ?? null,
        deploymentId: d.deploymentId,
        triggeredBy: d.triggeredBy,
        cancelRequestedBy: null,
        startedAt: at,
        updatedAt: at,
        finishedAt: null,
        error: null,
      };
    }
    if (!row || row.finishedAt) return row;
    const touched = { ...row, updatedAt: at };
    switch (event.type) {
      case 'StepStarted':
      case 'StepSucceeded':
      case 'StepWaiting':
        return { ...touched, currentStep: event.data.name };
      case 'StepFailed':
        return { ...touched, currentStep: event.data.name, error: event.data.error };
      case 'CompensationStarted':
        return { ...touched, status: 'compensating', error: event.data.reason };
      case 'StepCompensated':
        return { ...touched, currentStep: event.data.name };
      case 'StepCompensationFailed':
        return { ...touched, currentStep: event.data.name, error: event.data.error };
      case 'SagaCancelRequested':
        return { ...touched, cancelRequestedBy: row.cancelRequestedBy ?? event.data.by };
      case 'SagaCompleted':
        return { ...touched, status: 'completed', finishedAt: at, error: null };
      case 'SagaRolledBack':
        return { ...touched, status: 'rolled_back', finishedAt: at, error: event.data.reason };
      case 'SagaCancelled':
        return { ...touched, status: 'cancelled', finishedAt: at };
      case 'SagaFailed':
        return { ...touched, status: 'failed', finishedAt: at, error: event.data.reason };
      default: {
        const _: never = event;
        throw new Error(`saga-runs does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
