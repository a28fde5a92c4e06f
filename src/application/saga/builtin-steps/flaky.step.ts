import { type SagaStep, StepError } from '../../../domain/saga/saga-step.js';
import type { StepEffects } from '../saga.ports.js';
import { anyInput, nothing } from './builtin-step.support.js';

/**
 * Fails `failures` times, then succeeds. It counts attempts from the saga's own events
 * (`ctx.attempt`), never from memory, so a restart does not reset it.
 */
export function flakyStep(effects: StepEffects, failures: number, name = 'flaky'): SagaStep<Record<string, unknown>, unknown> {
  return {
    name,
    input: anyInput,
    output: nothing,
    retry: { maxAttempts: failures + 3, initialDelayMs: 100, maxDelayMs: 2_000, multiplier: 2 },
    async execute(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'execute');
      if (ctx.attempt <= failures) throw new StepError('flaky', `attempt ${ctx.attempt} of ${failures} planned failures`, true);
      return { status: 'done', output: { attempts: ctx.attempt } };
    },
    async compensate(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'compensate');
    },
  };
}
