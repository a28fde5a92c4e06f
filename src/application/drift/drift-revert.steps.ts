import { z } from 'zod';
import { openDrift } from '../../domain/drift/spec.decider.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { dropletIdOf } from '../../domain/inventory/resource.js';
import { type SagaStep, StepError } from '../../domain/saga/saga-step.js';
import { decideSpecInStep } from './decide-spec-in-step.js';

/**
 * What a revert is started with: the drift, and its field (which picks the step that changes it
 * back). The value it goes back to is never an input: begin_revert reads it from the spec.
 */
export const revertInputs = z.object({
  resourceId: z.string().min(1),
  driftId: z.string().min(1),
  field: z.enum(['size_slug', 'tags']),
});

/** Revert sagas started before the value came from the spec carry it (and the droplet) in their inputs. */
export const revertInputsV1 = revertInputs.extend({ dropletId: z.number().int().positive(), value: z.unknown() });

const driftRef = revertInputs.pick({ resourceId: true, driftId: true });
const marked = z.object({ driftId: z.string() });
/** What begin_revert found on the spec stream: the droplet and the spec's value of the drifted field. */
export const revertTarget = z.object({ driftId: z.string(), dropletId: z.number().int().positive(), field: z.enum(['size_slug', 'tags']), value: z.unknown() });

function markRevert(store: EventStore) {
  return async (ctx: Parameters<SagaStep<z.infer<typeof driftRef>, unknown>['execute']>[0]) => {
    const { resourceId, driftId } = ctx.params;
    return decideSpecInStep(store, ctx, { type: 'RequestRevert', data: { resourceId, driftId, sagaId: ctx.sagaId } });
  };
}

function failRevert(store: EventStore): NonNullable<SagaStep<z.infer<typeof driftRef>, unknown>['compensate']> {
  return async (ctx) => {
    const { resourceId, driftId } = ctx.params;
    await decideSpecInStep(store, ctx, { type: 'FailRevert', data: { resourceId, driftId, sagaId: ctx.sagaId, reason: 'the revert saga rolled back' } });
  };
}

/**
 * Marks the drift as being reverted by this saga (one revert at a time) and reads, from the spec
 * stream it just wrote to, what the droplet goes back to: the spec's value of the drifted field.
 * Its compensation records that the revert failed, so the drift is open for another decision.
 */
export function beginRevertStep(store: EventStore): SagaStep<z.infer<typeof revertInputs>, z.infer<typeof revertTarget>> {
  const mark = markRevert(store);
  return {
    name: 'begin_revert',
    input: revertInputs,
    output: revertTarget,
    async execute(ctx) {
      const { resourceId, driftId, field } = ctx.params;
      const { state } = await mark(ctx);
      const { spec, drift } = openDrift(state, resourceId, driftId);
      if (drift.field !== field) throw new StepError('drift_field_mismatch', `drift ${driftId} is on ${drift.field}, not ${field}`, false);
      const dropletId = dropletIdOf(resourceId);
      if (dropletId === null) throw new StepError('not_a_droplet', `${resourceId} is not a droplet`, false);
      return { status: 'done', output: { driftId, dropletId, field, value: spec[field] } };
    },
    compensate: failRevert(store),
  };
}

/** begin_revert of the first version, for revert sagas already running: it only marks the drift. */
export function beginRevertStepV1(store: EventStore): SagaStep<z.infer<typeof driftRef>, z.infer<typeof marked>> {
  const mark = markRevert(store);
  return {
    name: 'begin_revert',
    input: driftRef,
    output: marked,
    async execute(ctx) {
      await mark(ctx);
      return { status: 'done', output: { driftId: ctx.params.driftId } };
    },
    compensate: failRevert(store),
  };
}

/** The droplet has the spec's value again: the drift closes as reverted. */
export function completeRevertStep(store: EventStore): SagaStep<z.infer<typeof driftRef>, z.infer<typeof marked>> {
  return {
    name: 'complete_revert',
    input: driftRef,
    output: marked,
    async execute(ctx) {
      const { resourceId, driftId } = ctx.params;
      await decideSpecInStep(store, ctx, { type: 'CompleteRevert', data: { resourceId, driftId, sagaId: ctx.sagaId } });
      return { status: 'done', output: { driftId } };
    },
  };
}
