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
  { type: 'StepWaiting', data: { sagaId, step: 0, name: 'a', attempt: 1, dueAt: at(60), note: 'zz', memory: null, at: at(2) } },
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
    expect(row).toMatchObject({ action: 'execute', step: 0, revisionSeen: 2, dueAt: new Date(at(60)) });
    expect(row.state.status).toBe('running');
  });

  it('saga-work: the next step is due at once, and a finished saga leaves no row', () => {
    const more: SagaEvent[] = [...log, { type: 'StepSucceeded', data: { sagaId, step: 0, name: 'a', attempt: 1, output: 1, ignoredError: null, at: at(61) } }];
    expect(fold(sagaWorkProjection, more).get(sagaId)).toMatchObject({ action: 'execute', step: 1, attempts: 1, dueAt: new Date(at(61)) });
    const done: SagaEvent[] = [...more, { type: 'SagaCancelRequested', data: { sagaId, by: 'ops', at: at(62) } }];
    expect(fold(sagaWorkProjection, done).get(sagaId)).toMatchObject({ action: 'compensate', step: 0 });
    expect(fold(sagaWorkProjection, [...done, { type: 'SagaCancelled', data: { sagaId, at: at(63) } }]).get(sagaId)).toBeNull();
  });

  it('saga-work: a failed saga keeps its state, never due, and is due again once an operator retries its compensation', () => {
    // given a saga whose compensation gave up
    const failed: SagaEvent[] = [
      ...log,
      { type: 'StepSucceeded', data: { sagaId, step: 0, name: 'a', attempt: 1, output: 1, ignoredError: null, at: at(61) } },
      { type: 'StepStarted', data: { sagaId, step: 1, name: 'b', attempt: 1, at: at(62) } },
      { type: 'StepFailed', data: { sagaId, step: 1, name: 'b', attempt: 1, error: 'boom', code: 'x', willRetry: false, dueAt: null, memory: null, at: at(63) } },
      { type: 'CompensationStarted', data: { sagaId, reason: 'step b failed: boom', at: at(64) } },
      { type: 'StepCompensationFailed', data: { sagaId, step: 0, name: 'a', attempt: 5, error: 'nope', dueAt: null, at: at(65) } },
      { type: 'SagaFailed', data: { sagaId, reason: 'compensation of step a failed: nope', at: at(66) } },
    ];
    // then its row stays, not due
    expect(fold(sagaWorkProjection, failed).get(sagaId)).toMatchObject({ action: 'none', dueAt: new Date('9999-12-31T00:00:00.000Z') });

    // when an operator asks for the compensation again / then it is due at once
    const retried: SagaEvent[] = [...failed, { type: 'CompensationRetryRequested', data: { sagaId, by: 'ops', at: at(90) } }];
    expect(fold(sagaWorkProjection, retried).get(sagaId)).toMatchObject({ action: 'compensate', step: 0, attempts: 1, dueAt: new Date(at(90)) });
  });

  it('saga-runs: status and current step', () => {
    const events: SagaEvent[] = [
      ...log,
      { type: 'StepFailed', data: { sagaId, step: 0, name: 'a', attempt: 1, error: 'boom', code: 'x', willRetry: false, dueAt: null, memory: null, at: at(70) } },
      { type: 'SagaRolledBack', data: { sagaId, reason: 'step a failed: boom', at: at(71) } },
    ];
    expect(fold(sagaRunsProjection, events).get(sagaId)).toMatchObject({ status: 'rolled_back', currentStep: 'a', deploymentId: 'd1', error: 'step a failed: boom', finishedAt: new Date(at(71)) });
  });
});
