import { type SagaStep, StepError } from '../../../domain/saga/saga-step.js';
import type { StepEffects } from '../saga.ports.js';
import { anyInput, nothing } from './builtin-step.support.js';

/** Always fails, not retryably: what a rollback test needs. Nothing to undo. */
export function failStep(effects: StepEffects, name = 'fail'): SagaStep<Record<string, unknown>, unknown> {
  return {
    name,
    input: anyInput,
    output: nothing,
    async execute(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'execute');
      throw new StepError('always_fails', `step ${ctx.step} always fails`, false);
    },
  };
}
