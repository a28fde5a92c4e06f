import { type AnySagaStep, DEFAULT_STEP_TIMEOUT_MS, StepError, type StepContext } from '../../domain/saga/saga-step.js';

export type StepRunResult =
  | { readonly kind: 'done'; readonly output: unknown }
  | { readonly kind: 'waiting'; readonly retryAfterMs: number; readonly note: string }
  | { readonly kind: 'failed'; readonly error: StepError };

export type BaseContext = Omit<StepContext, 'params' | 'signal'> & { readonly inputs: Readonly<Record<string, unknown>> };

function asStepError(error: unknown): StepError {
  if (error instanceof StepError) return error;
  // an unexpected throw is treated as transient: the retry policy decides how often
  return new StepError('unexpected', error instanceof Error ? error.message : String(error), true);
}

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

/** Validate the input, pre-hooks, execute under the timeout, validate the output, post-hooks. */
export async function runStep(step: AnySagaStep, base: BaseContext, stop: AbortSignal): Promise<StepRunResult> {
  try {
    const raw = step.inputFrom ? step.inputFrom(base) : base.inputs;
    const parsed = step.input.safeParse(raw);
    if (!parsed.success) return { kind: 'failed', error: new StepError('invalid_input', `step input: ${issuesText(parsed.error)}`) };
    return await withTimeout(step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, stop, async (signal) => {
      let params: unknown = parsed.data;
      const ctx = (): StepContext => ({ ...base, params, signal });
      for (const hook of step.preHooks ?? []) params = await hook(params, ctx());
      const outcome = await step.execute(ctx());
      if (outcome.status === 'waiting') return { kind: 'waiting', retryAfterMs: outcome.retryAfterMs, note: outcome.note };
      const out = step.output.safeParse(outcome.output);
      if (!out.success) return { kind: 'failed', error: new StepError('invalid_output', `step output: ${issuesText(out.error)}`) };
      let output: unknown = out.data;
      for (const hook of step.postHooks ?? []) output = await hook(output, ctx());
      return { kind: 'done', output: output ?? null };
    });
  } catch (error) {
    return { kind: 'failed', error: asStepError(error) };
  }
}

/** Runs a step's compensation under its timeout; resolves with the error, if any. */
export async function runCompensation(step: AnySagaStep, base: BaseContext, stop: AbortSignal): Promise<StepError | null> {
  if (!step.compensate) return null;
  const compensate = step.compensate;
  try {
    const raw = step.inputFrom ? step.inputFrom(base) : base.inputs;
    const parsed = step.input.safeParse(raw);
    const params: unknown = parsed.success ? parsed.data : raw;
    await withTimeout(step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, stop, (signal) => compensate({ ...base, params, signal }));
    return null;
  } catch (error) {
    return asStepError(error);
  }
}
