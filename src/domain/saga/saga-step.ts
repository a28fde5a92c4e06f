import type { z } from 'zod';
import type { RetryPolicy } from './retry-policy.js';

/** An expected step failure. `retryable` lets the retry policy try again. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** What a step sees when it runs or compensates. */
export interface StepContext<Input = unknown> {
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

export type StepOutcome<Output> =
  | { readonly status: 'done'; readonly output: Output }
  /** Poll again after `retryAfterMs` without holding a worker. */
  | { readonly status: 'waiting'; readonly retryAfterMs: number; readonly note: string };

export type PreHook<Input> = (input: Input, ctx: StepContext<Input>) => Input | Promise<Input>;
export type PostHook<Input, Output> = (output: Output, ctx: StepContext<Input>) => Output | Promise<Output>;

/** Decides what a failed attempt means once its retries are exhausted (or it was not retryable). */
export type StepErrorHandler<Input, Output> = (
  error: StepError,
  ctx: StepContext<Input>,
) => { readonly action: 'ignore'; readonly output: Output } | { readonly action: 'fail' };

/**
 * A saga step. The contract lives in the domain; `execute` and `compensate` implementations are
 * application code written against ports. Steps are idempotent: re-running after a crash adopts
 * what the first run created; compensation is idempotent too (already gone is success).
 */
export interface SagaStep<Input = unknown, Output = unknown> {
  readonly name: string;
  readonly input: z.ZodType<Input>;
  readonly output: z.ZodType<Output>;
  /** Where the raw input comes from; default: the saga's inputs. */
  readonly inputFrom?: (ctx: Pick<StepContext, 'input' | 'output' | 'sagaId'>) => unknown;
  readonly preHooks?: readonly PreHook<Input>[];
  readonly postHooks?: readonly PostHook<Input, Output>[];
  execute(ctx: StepContext<Input>): Promise<StepOutcome<Output>>;
  /** Undo; absent for steps with nothing to undo (recorded as a no-op compensation). */
  readonly compensate?: (ctx: StepContext<Input>) => Promise<void>;
  readonly retry?: RetryPolicy;
  readonly compensationRetry?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly onError?: StepErrorHandler<Input, Output>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaStep = SagaStep<any, any>;

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** The same step under another name, so a definition can use it twice. */
export function rename<I, O>(step: SagaStep<I, O>, name: string): SagaStep<I, O> {
  return { ...step, name };
}

/** Adds hooks, an error handler or policies; the execute function cannot be replaced. */
export function extend<I, O>(
  step: SagaStep<I, O>,
  extension: Partial<Pick<SagaStep<I, O>, 'preHooks' | 'postHooks' | 'onError' | 'retry' | 'compensationRetry' | 'timeoutMs' | 'inputFrom'>>,
): SagaStep<I, O> {
  return {
    ...step,
    ...extension,
    preHooks: [...(step.preHooks ?? []), ...(extension.preHooks ?? [])],
    postHooks: [...(step.postHooks ?? []), ...(extension.postHooks ?? [])],
    execute: step.execute,
  };
}

/** An error handler that records the error and goes on with `output`. */
export const ignoreErrors =
  <I, O>(output: O): StepErrorHandler<I, O> =>
  () => ({ action: 'ignore', output });
