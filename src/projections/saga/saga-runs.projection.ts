import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { SAGA_EVENT_TYPES, type SagaEvent } from '../../domain/saga/saga.events.js';
import { dropletResourceId } from '../../domain/inventory/resource.js';
import type { Projection } from '../projection.js';
import { SagaRunEntity, type SagaRunRow } from './saga-run.entity.js';

/** The resource named by a saga's inputs or a step's output: a `resourceId`, or a droplet by its `dropletId`. */
function resourceOf(values: unknown): string | null {
  if (values === null || typeof values !== 'object') return null;
  const { resourceId, dropletId } = values as { resourceId?: unknown; dropletId?: unknown };
  if (typeof resourceId === 'string' && resourceId !== '') return resourceId;
  if ((typeof dropletId === 'number' && Number.isSafeInteger(dropletId) && dropletId > 0) || (typeof dropletId === 'string' && /^[1-9]\d{0,14}$/.test(dropletId))) {
    return dropletResourceId(dropletId);
  }
  return null;
}

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
        cancelReason: null,
        resourceId: resourceOf(d.inputs),
        startedAt: at,
        updatedAt: at,
        finishedAt: null,
        error: null,
      };
    }
    if (!row) return row;
    // a failed saga's compensation retried by an operator: it is compensating again
    if (event.type === 'CompensationRetryRequested') return row.status === 'failed' ? { ...row, status: 'compensating', finishedAt: null, updatedAt: at } : row;
    if (row.finishedAt) return row;
    const touched = { ...row, updatedAt: at };
    // a step event means a worker goes on with a stuck saga: it is running (or compensating) again
    const going = (status: 'running' | 'compensating') => ({ ...touched, status: row.status === 'stuck' ? status : row.status });
    switch (event.type) {
      case 'StepSucceeded':
        return { ...going('running'), currentStep: event.data.name, resourceId: row.resourceId ?? resourceOf(event.data.output) };
      case 'StepStarted':
      case 'StepWaiting':
        return { ...going('running'), currentStep: event.data.name };
      case 'StepFailed':
        return { ...going('running'), currentStep: event.data.name, error: event.data.error };
      case 'CompensationStarted':
        return { ...touched, status: 'compensating', error: event.data.reason };
      case 'StepCompensated':
        return { ...going('compensating'), currentStep: event.data.name };
      case 'StepCompensationFailed':
        return { ...going('compensating'), currentStep: event.data.name, error: event.data.error };
      case 'SagaStuck':
        return { ...touched, status: 'stuck', error: event.data.reason };
      case 'SagaCancelRequested':
        return { ...touched, cancelRequestedBy: row.cancelRequestedBy ?? event.data.by, cancelReason: row.cancelReason ?? event.data.reason ?? null };
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
