import { type SagaStep, StepError } from '../../../domain/saga/saga-step.js';
import type { StepEffects } from '../saga.ports.js';
import { anyInput, nothing } from './builtin-step.support.js';

/**
 * Succeeds, and its compensation fails until `until` has passed: the thing it undoes is held
 * elsewhere until then. Its compensation gives up after two tries, so a saga that rolls back
 * through it before `until` ends failed, and an operator's retry after `until` rolls it back.
 */
export function fragileUndoStep(effects: StepEffects, until: string, name = 'fragile_undo'): SagaStep<Record<string, unknown>, unknown> {
  return {
    name,
    input: anyInput,
    output: nothing,
    compensationRetry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 },
    async execute(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'execute');
      return { status: 'done', output: { until } };
    },
    async compensate(ctx) {
      if (ctx.now.getTime() < Date.parse(until)) throw new StepError('held', `what this step made is held until ${until}`, true);
      await effects.record(ctx.sagaId, ctx.step, 'compensate');
    },
  };
}
