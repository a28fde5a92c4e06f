import { z } from 'zod';
import type { SagaDefinition } from '../../domain/saga/saga-definitions.js';
import { type AnySagaStep, rename } from '../../domain/saga/saga-step.js';
import { failStep, flakyStep, fragileUndoStep, noopStep, sleepStep } from './builtin-steps/builtin.steps.js';
import type { StepEffects } from './saga.ports.js';

export const scriptStepSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('noop') }),
  z.strictObject({ op: z.literal('sleep'), ms: z.number().int().min(0).max(86_400_000) }),
  z.strictObject({ op: z.literal('fail') }),
  z.strictObject({ op: z.literal('flaky'), failures: z.number().int().min(0).max(10) }),
  z.strictObject({ op: z.literal('fragile_undo'), until: z.iso.datetime({ offset: true }) }),
]);

const scriptInputs = z.object({ steps: z.array(scriptStepSchema).min(1).max(50) }).loose();

function scriptSteps(effects: StepEffects, inputs: Record<string, unknown>): AnySagaStep[] {
  const { steps } = scriptInputs.parse(inputs);
  return steps.map((spec, i) => {
    const name = `${i + 1}-${spec.op}`;
    switch (spec.op) {
      case 'noop':
        return noopStep(effects, name);
      case 'sleep':
        return sleepStep(effects, spec.ms, name);
      case 'fail':
        return failStep(effects, name);
      case 'flaky':
        return flakyStep(effects, spec.failures, name);
      case 'fragile_undo':
        return fragileUndoStep(effects, spec.until, name);
      default: {
        const _: never = spec;
        throw new Error(`unknown step ${JSON.stringify(_)}`);
      }
    }
  });
}

/**
 * The demo and test definitions, registered only when configured (SAGA_DEMO_DEFINITIONS): `script` runs the built-in steps listed in its inputs
 * (`{"steps":[{"op":"noop"},{"op":"sleep","ms":500},{"op":"flaky","failures":2},{"op":"fragile_undo","until":"…"},{"op":"fail"}]}`);
 * `noop` runs three no-op steps (`twice` shows rename()).
 */
export function builtinSagaDefinitions(effects: StepEffects): SagaDefinition[] {
  const noop = noopStep(effects);
  return [
    {
      name: 'script',
      version: 1,
      description: 'built-in steps (noop, sleep, fail, flaky, fragile_undo) in the order given in inputs.steps',
      inputs: scriptInputs,
      steps: (inputs) => scriptSteps(effects, inputs),
      startableBy: 'operator',
    },
    {
      name: 'noop',
      version: 1,
      description: 'three no-op steps',
      inputs: z.object({}).loose(),
      steps: [rename(noop, 'first'), rename(noop, 'second'), rename(noop, 'third')],
      startableBy: 'operator',
    },
  ];
}
