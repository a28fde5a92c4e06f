import type { z } from 'zod';
import type { RetryPolicy } from './retry-policy.js';

/**
 * An expected step failure. `retryable` lets the retry policy try again; `memory`, when given, is
 * what the step knew and is kept on the StepFailed event (its compensation reads it).
 */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    readonly memory?: unknown,
  ) {
    super(message);
  }
}

/** What a step sees when it runs or compensates. */
export interface StepContext<Input = unknown, Memory = unknown> {
  readonly sagaId: string;
  readonly kind: string;
  readonly deploymentId: string | null;
  /** The step's own name and attempt (from the saga's events, so it survives restarts). */
  readonly step: string;
  readonly attempt: number;
  /** The step's input: validated, then passed through the pre-hooks. */
  readonly params: Input;
  /** The time the runner read; steps take time from here, not from a clock of their own. */
  readonly now: Date;
  /** When the step is resumed after waiting: the wait that ended. */
  readonly resumedFrom: { readonly dueAt: string; readonly note: string } | null;
  /**
   * What the step remembered when it last waited in this attempt (its `memory` schema; undefined on
   * a fresh attempt): durable across restarts, typed, never parsed out of a note (STYLE.md 14).
   */
  readonly memory: Memory | undefined;
  /**
   * True when this attempt may have run partly before: it was started by an earlier claim that did
   * not finish it, or it is resumed from a wait by a claim whose predecessor was cut short (a worker
   * died or lost its lease mid-step). A step with side effects looks for what the earlier run left
   * before acting again.
   */
  readonly recovering: boolean;
  /** Who started the saga (an API token's name or a system actor); events the step writes carry it. */
  readonly triggeredBy: string;
  /** A saga input by name. */
  input(name: string): unknown;
  /** The output of an earlier step of this saga, by step name (undefined when it has none). */
  output(step: string): unknown;
  /** Aborted when the step's timeout passes or the runner stops. */
  readonly signal: AbortSignal;
}

export type StepOutcome<Output, Memory = unknown> =
  | { readonly status: 'done'; readonly output: Output }
  /** Poll again after `retryAfterMs` without holding a worker; `memory` is what the next look reads. */
  | { readonly status: 'waiting'; readonly retryAfterMs: number; readonly note: string; readonly memory?: Memory };

/** Why compensation runs: the step that failed for good and its error, or null for a cancellation. */
export interface StepFailure {
  readonly step: string;
  readonly code: string;
  readonly error: string;
}

/** What a compensation sees: the step's context, the failure being undone, and the step's last memory. */
export interface CompensationContext<Input = unknown, Memory = unknown> extends StepContext<Input, Memory> {
  readonly failure: StepFailure | null;
}

export type PreHook<Input> = (input: Input, ctx: StepContext<Input>) => Input | Promise<Input>;
export type PostHook<Input, Output> = (output: Output, ctx: StepContext<Input>) => Output | Promise<Output>;

/**
 * Decides what a failed attempt means once its retries are exhausted (or it was not retryable):
 * fail the step (and compensate), or go on with `output` as if it had succeeded. Pure: the saga's
 * decider calls it.
 */
export type StepErrorHandler<Output> = (error: { readonly code: string; readonly message: string }) => { readonly action: 'ignore'; readonly output: Output } | { readonly action: 'fail' };

/**
 * A saga step. The contract lives in the domain; `execute` and `compensate` implementations are
 * application code written against ports. Steps are idempotent: re-running after a crash adopts
 * what the first run created; compensation is idempotent too (already gone is success).
 */
export interface SagaStep<Input = unknown, Output = unknown, Memory = unknown> {
  readonly name: string;
  readonly input: z.ZodType<Input>;
  readonly output: z.ZodType<Output>;
  /** The shape of what the step remembers between looks; a wait with memory needs it. */
  readonly memory?: z.ZodType<Memory>;
  /** Where the raw input comes from; default: the saga's inputs. */
  readonly inputFrom?: (ctx: Pick<StepContext, 'input' | 'output' | 'sagaId'>) => unknown;
  readonly preHooks?: readonly PreHook<Input>[];
  readonly postHooks?: readonly PostHook<Input, Output>[];
  execute(ctx: StepContext<Input, Memory>): Promise<StepOutcome<Output, Memory>>;
  /** Undo, knowing why and what the step remembered; absent for steps with nothing to undo (a logged no-op). */
  readonly compensate?: (ctx: CompensationContext<Input, Memory>) => Promise<void>;
  readonly retry?: RetryPolicy;
  readonly compensationRetry?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly onError?: StepErrorHandler<Output>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaStep = SagaStep<any, any, any>;

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** The same step under another name, so a definition can use it twice. */
export function rename<I, O, M>(step: SagaStep<I, O, M>, name: string): SagaStep<I, O, M> {
  return { ...step, name };
}

/** Adds hooks, an error handler or policies; the execute function cannot be replaced. */
export function extend<I, O, M>(
  step: SagaStep<I, O, M>,
  extension: Partial<Pick<SagaStep<I, O, M>, 'preHooks' | 'postHooks' | 'onError' | 'retry' | 'compensationRetry' | 'timeoutMs' | 'inputFrom'>>,
): SagaStep<I, O, M> {
  return {
    ...step,
    ...extension,
    preHooks: [...(step.preHooks ?? []), ...(extension.preHooks ?? [])],
    postHooks: [...(step.postHooks ?? []), ...(extension.postHooks ?? [])],
    execute: step.execute,
  };
}

/** An error handler that records the error and goes on with `output`; with `codes`, only for those codes. */
export const ignoreErrors =
  <O>(output: O, codes?: readonly string[]): StepErrorHandler<O> =>
  (error) => (codes === undefined || codes.includes(error.code) ? { action: 'ignore', output } : { action: 'fail' });
