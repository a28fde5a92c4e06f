import type { SagaStep } from '../../../domain/saga/saga-step.js';
import type { StepEffects } from '../saga.ports.js';
import { anyInput, nothing } from './builtin-step.support.js';

/** Does nothing but record that it ran (and, on compensation, that it was undone). */
export function noopStep(effects: StepEffects, name = 'noop'): SagaStep<Record<string, unknown>, unknown> {
  return {
    name,
    input: anyInput,
    output: nothing,
    async execute(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'execute');
      return { status: 'done', output: { ran: ctx.step } };
    },
    async compensate(ctx) {
      await effects.record(ctx.sagaId, ctx.step, 'compensate');
    },
  };
}
