import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { SagaEvent } from '../../domain/saga/saga.events.js';
import type { Projection } from '../projection.js';
import { sagaRunsProjection } from './saga-runs.projection.js';
import { sagaWorkProjection } from './saga-work.projection.js';

const sagaId = 's1';
const at = (s: number): string => new Date(Date.parse('2026-11-22T00:00:00.000Z') + s * 1000).toISOString();
const meta = { correlationId: 'c', causationId: null, actor: 'tester', schemaVersion: 1 };
const log: SagaEvent[] = [
  { type: 'SagaStarted', data: { sagaId, kind: 'test', definition: 'script', version: 1, steps: ['a', 'b'], inputs: {}, deploymentId: 'd1', triggeredBy: 'tester', at: at(0) } },
  { type: 'StepStarted', data: { sagaId, step: 0, name: 'a', attempt: 1, at: at(1) } },
  { type: 'StepWaiting', data: { sagaId, step: 0, name: 'a', attempt: 1, dueAt: at(60), note: 'zz', at: at(2) } },
];
const domain = (events: SagaEvent[]): DomainEvent[] => events.map((e, i) => ({ ...e, metadata: meta, stream: `saga-${sagaId}`, revision: BigInt(i) }));
function fold<Row extends object>(projection: Projection<Row>, events: SagaEvent[]): Map<string, Row | null> {
  const rows = new Map<string, Row | null>();
  for (const event of domain(events)) rows.set(projection.keyOf(event), projection.evolve(rows.get(projection.keyOf(event)) ?? null, event));
  return rows;
}

describe('the saga projections', () => {
  it('saga-work: a waiting step is due at its wake-up time, with the folded state and no lease', () => {
    // given a saga whose first step waits until t=60 / when folded / then the row is due then
    const row = fold(sagaWorkProjection, log).get(sagaId)!;
    expect(row).toMatchObject({ action: 'execute', step: 0, revisionSeen: 2, leaseOwner: null, dueAt: new Date(at(60)) });
    expect(row.state.status).toBe('running');
  });

  it('saga-work: the next step is due at once, and a finished saga leaves no row', () => {
    const more: SagaEvent[] = [...log, { type: 'StepSucceeded', data: { sagaId, step: 0, name: 'a', attempt: 1, output: 1, ignoredError: null, at: at(61) } }];
    expect(fold(sagaWorkProjection, more).get(sagaId)).toMatchObject({ action: 'execute', step: 1, attempts: 1, dueAt: new Date(at(61)) });
    const done: SagaEvent[] = [...more, { type: 'SagaCancelRequested', data: { sagaId, by: 'ops', at: at(62) } }];
    expect(fold(sagaWorkProjection, done).get(sagaId)).toMatchObject({ action: 'compensate', step: 0 });
    expect(fold(sagaWorkProjection, [...done, { type: 'SagaCancelled', data: { sagaId, at: at(63) } }]).get(sagaId)).toBeNull();
  });

  it('saga-runs: status and current step', () => {
    const events: SagaEvent[] = [
      ...log,
      { type: 'StepFailed', data: { sagaId, step: 0, name: 'a', attempt: 1, error: 'boom', code: 'x', willRetry: false, dueAt: null, at: at(70) } },
      { type: 'SagaRolledBack', data: { sagaId, reason: 'step a failed: boom', at: at(71) } },
    ];
    expect(fold(sagaRunsProjection, events).get(sagaId)).toMatchObject({ status: 'rolled_back', currentStep: 'a', deploymentId: 'd1', error: 'step a failed: boom', finishedAt: new Date(at(71)) });
  });
});
