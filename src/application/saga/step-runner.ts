import type { CompensationResult, StepResult } from '../../domain/saga/saga.decider.js';
import { type AnySagaStep, type CompensationContext, DEFAULT_STEP_TIMEOUT_MS, StepError, type StepContext, type StepFailure } from '../../domain/saga/saga-step.js';

/** What the runner knows of a step before it runs it: everything in its context but what running adds. */
export type BaseContext = Omit<StepContext, 'params' | 'signal' | 'memory'> & {
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The step's memory as stored (not yet checked against its schema). */
  readonly storedMemory: unknown;
};

function asStepError(error: unknown): StepError {
  if (error instanceof StepError) return error;
  // an unexpected throw is treated as transient: the retry policy decides how often
  return new StepError('unexpected', error instanceof Error ? error.message : String(error), true);
}

const failed = (error: StepError): StepResult => ({
  kind: 'failed',
  error: { code: error.code, message: error.message, retryable: error.retryable },
  memory: error.memory ?? null,
});

function issuesText(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

async function withTimeout<T>(ms: number, stop: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onStop = (): void => controller.abort(stop.reason);
  // a listener added after the abort never fires
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      reject(new StepError('timeout', `timed out after ${ms} ms`, true));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}

/** The stored memory checked against the step's schema; a memory that no longer fits fails loudly, never silently resets. */
function memoryOf(step: AnySagaStep, stored: unknown): { ok: true; memory: unknown } | { ok: false; error: StepError } {
  if (stored === null || stored === undefined) return { ok: true, memory: undefined };
  if (!step.memory) return { ok: false, error: new StepError('invalid_memory', `step ${step.name} has memory stored but declares no memory schema`) };
  const parsed = step.memory.safeParse(stored);
  return parsed.success ? { ok: true, memory: parsed.data } : { ok: false, error: new StepError('invalid_memory', `step memory: ${issuesText(parsed.error)}`) };
}

/** The step's input: from `inputFrom` (earlier outputs) or the saga's inputs, validated. */
function inputOf(step: AnySagaStep, base: BaseContext): { ok: true; params: unknown } | { ok: false; error: StepError } {
  const raw = step.inputFrom ? step.inputFrom(base) : base.inputs;
  const parsed = step.input.safeParse(raw);
  return parsed.success ? { ok: true, params: parsed.data } : { ok: false, error: new StepError('invalid_input', `step input: ${issuesText(parsed.error)}`) };
}

/**
 * Runs one attempt: validate the input and the stored memory, pre-hooks, execute under the
 * timeout, validate the output (or the memory of a wait), post-hooks. I/O only: what the outcome
 * means (retry, error handler, failure) is the saga decider's to say.
 */
export async function runStep(step: AnySagaStep, base: BaseContext, stop: AbortSignal): Promise<StepResult> {
  try {
    const input = inputOf(step, base);
    if (!input.ok) return failed(input.error);
    const memory = memoryOf(step, base.storedMemory);
    if (!memory.ok) return failed(memory.error);
    return await withTimeout(step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, stop, async (signal) => {
      let params = input.params;
      const ctx = (): StepContext => ({ ...base, params, memory: memory.memory, signal });
      for (const hook of step.preHooks ?? []) params = await hook(params, ctx());
      const outcome = await step.execute(ctx());
      if (outcome.status === 'waiting') {
        const remembered = memoryOf(step, outcome.memory);
        if (!remembered.ok) return failed(remembered.error);
        return { kind: 'waiting', retryAfterMs: outcome.retryAfterMs, note: outcome.note, memory: outcome.memory ?? null };
      }
      const out = step.output.safeParse(outcome.output);
      if (!out.success) return failed(new StepError('invalid_output', `step output: ${issuesText(out.error)}`));
      let output: unknown = out.data;
      for (const hook of step.postHooks ?? []) output = await hook(output, ctx());
      return { kind: 'done', output: output ?? null };
    });
  } catch (error) {
    return failed(asStepError(error));
  }
}

/**
 * Runs a step's compensation under its timeout, with the failure being undone and the step's
 * memory (unchecked input when it no longer validates: undo must not be blocked by a schema).
 */
export async function runCompensation(step: AnySagaStep, base: BaseContext, failure: StepFailure | null, stop: AbortSignal): Promise<CompensationResult> {
  const compensate = step.compensate;
  if (!compensate) return { kind: 'noop' };
  try {
    const input = inputOf(step, base);
    const params = input.ok ? input.params : step.inputFrom ? step.inputFrom(base) : base.inputs;
    const memory = memoryOf(step, base.storedMemory);
    const ctx = (signal: AbortSignal): CompensationContext => ({ ...base, params, memory: memory.ok ? memory.memory : base.storedMemory, failure, signal });
    await withTimeout(step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, stop, (signal) => compensate(ctx(signal)));
    return { kind: 'compensated' };
  } catch (error) {
    const stepError = asStepError(error);
    return { kind: 'failed', error: { code: stepError.code, message: stepError.message } };
  }
}
