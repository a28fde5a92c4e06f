import { z } from 'zod';
import type { SagaDefinition } from '../../domain/saga/saga-definitions.js';
import { type AnySagaStep, rename, type SagaStep, StepError } from '../../domain/saga/saga-step.js';
import type { StepEffects } from './saga.ports.js';

const anyInput = z.record(z.string(), z.unknown());
const nothing = z.unknown();

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

export const scriptStepSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('noop') }),
  z.strictObject({ op: z.literal('sleep'), ms: z.number().int().min(0).max(86_400_000) }),
  z.strictObject({ op: z.literal('fail') }),
  z.strictObject({ op: z.literal('flaky'), failures: z.number().int().min(0).max(10) }),
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
      default: {
        const _: never = spec;
        throw new Error(`unknown step ${JSON.stringify(_)}`);
      }
    }
  });
}

/**
 * The demo and test definitions, registered only when configured (SAGA_DEMO_DEFINITIONS): `script` runs the built-in steps listed in its inputs
 * (`{"steps":[{"op":"noop"},{"op":"sleep","ms":500},{"op":"flaky","failures":2},{"op":"fail"}]}`);
 * `noop` runs three no-op steps (`twice` shows rename()).
 */
export function builtinSagaDefinitions(effects: StepEffects): SagaDefinition[] {
  const noop = noopStep(effects);
  return [
    {
      name: 'script',
      version: 1,
      description: 'built-in steps (noop, sleep, fail, flaky) in the order given in inputs.steps',
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
