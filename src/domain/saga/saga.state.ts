import type { SagaEvent, SagaEventOf } from './saga.events.js';

export type StepStatus =
  | 'pending'
  /** Started, no outcome recorded yet (running now, or its worker died). */
  | 'running'
  | 'waiting'
  /** Failed, another attempt is due at `dueAt`. */
  | 'retrying'
  | 'succeeded'
  /** Failed for good. */
  | 'failed'
  | 'compensated'
  /** Compensation failed; tried again at `dueAt`, or exhausted when `dueAt` is null. */
  | 'compensation_failed';

/** One attempt of a step, as the saga's events tell it: what the API shows for every attempt. */
export interface StepAttempt {
  readonly attempt: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly outcome: 'running' | 'waiting' | 'succeeded' | 'failed' | 'retrying';
  readonly error: string | null;
  readonly code: string | null;
  /** How often the attempt waited (polled) before its outcome. */
  readonly waits: number;
}

/** One try at undoing a step. */
export interface CompensationAttempt {
  readonly attempt: number;
  readonly at: string;
  readonly outcome: 'compensated' | 'noop' | 'failed';
  readonly error: string | null;
}

export interface StepState {
  readonly name: string;
  readonly status: StepStatus;
  /** Attempts started so far (the attempt number of the latest). */
  readonly attempts: number;
  readonly compensationAttempts: number;
  /** Set while it is compensation_failed: the step had succeeded (or was waiting) before. */
  readonly output: unknown;
  readonly error: string | null;
  readonly dueAt: string | null;
  readonly note: string | null;
  /** The step's typed memory from its last wait (or failure): what its next look, or its compensation, reads. */
  readonly memory: unknown;
  /** When its last StepWaiting was written: the same event read twice is told from a new wait by it. */
  readonly waitedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly compensatedAt: string | null;
  /** It succeeded or had started waiting: something may exist that compensation must undo. */
  readonly needsCompensation: boolean;
  readonly history: readonly StepAttempt[];
  readonly compensations: readonly CompensationAttempt[];
}

interface SagaCommon {
  readonly sagaId: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly steps: readonly StepState[];
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Who asked to cancel, once someone did. */
  readonly cancelRequestedBy: string | null;
  /** Why, as the one who asked said. */
  readonly cancelReason: string | null;
  /** Why no worker could go on with it (its definition is not registered), until one does. */
  readonly stuck: string | null;
}

export type SagaState =
  | { readonly status: 'new' }
  | (SagaCommon & { readonly status: 'running' })
  | (SagaCommon & { readonly status: 'compensating'; readonly reason: string })
  | (SagaCommon & { readonly status: 'completed'; readonly finishedAt: string })
  | (SagaCommon & { readonly status: 'rolled_back' | 'cancelled'; readonly reason: string; readonly finishedAt: string })
  /** Compensation gave up: `reason` says so; `compensationReason` is why it was compensating, what a retried compensation rolls back for. */
  | (SagaCommon & { readonly status: 'failed'; readonly reason: string; readonly compensationReason: string; readonly finishedAt: string });

export type SagaStatus = SagaState['status'];
export type StartedSaga = Exclude<SagaState, { status: 'new' }>;

export const TERMINAL_STATUSES = ['completed', 'rolled_back', 'cancelled', 'failed'] as const satisfies SagaStatus[];

export function isTerminal(state: SagaState): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(state.status);
}

export const initialState = (): SagaState => ({ status: 'new' });

const pendingStep = (name: string): StepState => ({
  name,
  status: 'pending',
  attempts: 0,
  compensationAttempts: 0,
  output: null,
  error: null,
  dueAt: null,
  note: null,
  memory: null,
  waitedAt: null,
  startedAt: null,
  finishedAt: null,
  compensatedAt: null,
  needsCompensation: false,
  history: [],
  compensations: [],
});

/** A step's events carry its index; the change applies to that step, and a worker going on with the saga clears `stuck`. */
function withStep(state: StartedSaga, index: number, at: string, change: (step: StepState) => StepState): SagaState {
  const steps = state.steps.map((s, i) => (i === index ? change(s) : s));
  return { ...state, steps, updatedAt: at, stuck: null };
}

/** The attempt's entry changed (added when it is new): the same event twice changes it once. */
function recordAttempt(history: readonly StepAttempt[], attempt: number, change: (entry: StepAttempt) => StepAttempt, at: string): readonly StepAttempt[] {
  const existing = history.find((h) => h.attempt === attempt);
  const entry = existing ?? { attempt, startedAt: at, endedAt: null, outcome: 'running' as const, error: null, code: null, waits: 0 };
  const changed = change(entry);
  return existing ? history.map((h) => (h.attempt === attempt ? changed : h)) : [...history, changed];
}

/** The compensation attempt's entry, set once: a repeated event changes nothing. */
function recordCompensation(log: readonly CompensationAttempt[], entry: CompensationAttempt): readonly CompensationAttempt[] {
  return log.some((c) => c.attempt === entry.attempt && c.at === entry.at) ? log : [...log, entry];
}

function started(event: SagaEventOf<'SagaStarted'>): SagaState {
  const d = event.data;
  return {
    status: 'running',
    sagaId: d.sagaId,
    kind: d.kind,
    definition: d.definition,
    version: d.version,
    inputs: d.inputs,
    deploymentId: d.deploymentId,
    triggeredBy: d.triggeredBy,
    steps: d.steps.map(pendingStep),
    startedAt: d.at,
    updatedAt: d.at,
    cancelRequestedBy: null,
    cancelReason: null,
    stuck: null,
  };
}

/** A failed saga compensates again: each exhausted compensation gets a fresh set of attempts, due now. */
function retryCompensation(state: Extract<StartedSaga, { readonly status: 'failed' }>, at: string): SagaState {
  const { finishedAt: _, compensationReason, ...rest } = state;
  const steps = state.steps.map((s) => (s.status === 'compensation_failed' && s.dueAt === null ? { ...s, compensationAttempts: 0, dueAt: at } : s));
  return { ...rest, status: 'compensating', reason: compensationReason, steps, updatedAt: at };
}

/**
 * Folds one event. Every field is set from the event's absolute values (attempt numbers, not
 * increments), so applying the same event twice leaves the state as once; events after a terminal
 * one, and a second SagaStarted, change nothing — but for an operator's CompensationRetryRequested
 * on a failed saga.
 */
export function evolve(state: SagaState, event: SagaEvent): SagaState {
  if (event.type === 'SagaStarted') return state.status === 'new' ? started(event) : state;
  if (state.status === 'new') return state;
  if (event.type === 'CompensationRetryRequested') return state.status === 'failed' ? retryCompensation(state, event.data.at) : state;
  if (event.type === 'SagaStuck' && isTerminal(state)) return state;
  if (isTerminal(state)) return state;
  const at = event.data.at;
  switch (event.type) {
    case 'StepStarted':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'running',
        attempts: event.data.attempt,
        dueAt: null,
        startedAt: s.startedAt ?? at,
        history: recordAttempt(s.history, event.data.attempt, (h) => h, at),
      }));
    case 'StepSucceeded':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'succeeded',
        attempts: Math.max(s.attempts, event.data.attempt),
        output: event.data.output,
        error: event.data.ignoredError,
        dueAt: null,
        finishedAt: at,
        needsCompensation: true,
        history: recordAttempt(s.history, event.data.attempt, (h) => ({ ...h, outcome: 'succeeded', endedAt: at, error: event.data.ignoredError }), at),
      }));
    case 'StepWaiting':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'waiting',
        attempts: Math.max(s.attempts, event.data.attempt),
        dueAt: event.data.dueAt,
        note: event.data.note,
        memory: event.data.memory ?? null,
        waitedAt: at,
        needsCompensation: true,
        // the same event twice is one wait: same attempt, written at the same time for the same due time
        history: recordAttempt(s.history, event.data.attempt, (h) => (h.outcome === 'waiting' && s.waitedAt === at && s.dueAt === event.data.dueAt ? h : { ...h, outcome: 'waiting', waits: h.waits + 1 }), at),
      }));
    case 'StepFailed':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: event.data.willRetry ? 'retrying' : 'failed',
        attempts: Math.max(s.attempts, event.data.attempt),
        error: event.data.error,
        dueAt: event.data.willRetry ? event.data.dueAt : null,
        memory: event.data.memory ?? s.memory,
        finishedAt: event.data.willRetry ? null : at,
        history: recordAttempt(
          s.history,
          event.data.attempt,
          (h) => ({ ...h, outcome: event.data.willRetry ? 'retrying' : 'failed', endedAt: at, error: event.data.error, code: event.data.code }),
          at,
        ),
      }));
    case 'CompensationStarted':
      if (state.status === 'compensating') return state;
      return { ...state, status: 'compensating', reason: event.data.reason, updatedAt: at, stuck: null };
    case 'StepCompensated':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'compensated',
        compensationAttempts: Math.max(s.compensationAttempts, event.data.attempt),
        dueAt: null,
        compensatedAt: at,
        needsCompensation: false,
        compensations: recordCompensation(s.compensations, { attempt: event.data.attempt, at, outcome: event.data.noop ? 'noop' : 'compensated', error: null }),
      }));
    case 'StepCompensationFailed':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'compensation_failed',
        compensationAttempts: Math.max(s.compensationAttempts, event.data.attempt),
        error: event.data.error,
        dueAt: event.data.dueAt,
        compensations: recordCompensation(s.compensations, { attempt: event.data.attempt, at, outcome: 'failed', error: event.data.error }),
      }));
    case 'SagaCancelRequested':
      return { ...state, cancelRequestedBy: state.cancelRequestedBy ?? event.data.by, cancelReason: state.cancelReason ?? event.data.reason ?? null, updatedAt: at };
    case 'SagaStuck':
      return { ...state, stuck: event.data.reason, updatedAt: at };
    case 'SagaCompleted':
      return { ...state, status: 'completed', finishedAt: at, updatedAt: at, stuck: null };
    case 'SagaRolledBack':
      return { ...state, status: 'rolled_back', reason: event.data.reason, finishedAt: at, updatedAt: at, stuck: null };
    case 'SagaCancelled':
      return { ...state, status: 'cancelled', reason: 'cancelled', finishedAt: at, updatedAt: at, stuck: null };
    case 'SagaFailed': {
      const compensationReason = state.status === 'compensating' ? state.reason : event.data.reason;
      return { ...state, status: 'failed', reason: event.data.reason, compensationReason, finishedAt: at, updatedAt: at, stuck: null };
    }
    default: {
      const _: never = event;
      throw new Error(`saga state does not handle ${JSON.stringify(_)}`);
    }
  }
}
