import type { SagaStep } from '../../../domain/saga/saga-step.js';
import type { StepEffects } from '../saga.ports.js';
import { anyInput, nothing } from './builtin-step.support.js';

/** Waits `ms` through the timer queue: the first run asks to be woken later; it holds no worker. */
export function sleepStep(effects: StepEffects, ms: number, name = 'sleep'): SagaStep<Record<string, unknown>, unknown> {
  return {
    name,
    input: anyInput,
    output: nothing,
    async execute(ctx) {
      if (!ctx.resumedFrom) return { status: 'waiting', retryAfterMs: ms, note: `sleeping ${ms} ms` };
      await effects.record(ctx.sagaId, ctx.step, 'execute');
      return { status: 'done', output: { slept: ms } };
    },
    async compensate(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'compensate');
    },
  };
}
