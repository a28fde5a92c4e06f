import { z } from 'zod';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { SagaStep } from '../../domain/saga/saga-step.js';
import { decideSpecInStep } from '../provisioning/droplet.steps.js';

export const revertInputs = z.object({
  resourceId: z.string().min(1),
  driftId: z.string().min(1),
  dropletId: z.number().int().positive(),
  field: z.enum(['size_slug', 'tags']),
  /** The spec's value the droplet goes back to. */
  value: z.unknown(),
});
const driftRef = revertInputs.pick({ resourceId: true, driftId: true });
const marked = z.object({ driftId: z.string() });

/**
 * Marks the drift as being reverted by this saga (one revert at a time). Its compensation records
 * that the revert failed, so the drift is open for another decision.
 */
export function beginRevertStep(store: EventStore): SagaStep<z.infer<typeof driftRef>, z.infer<typeof marked>> {
  return {
    name: 'begin_revert',
    input: driftRef,
    output: marked,
    async execute(ctx) {
      const { resourceId, driftId } = ctx.params;
      await decideSpecInStep(store, ctx, { type: 'RequestRevert', data: { resourceId, driftId, sagaId: ctx.sagaId } });
      return { status: 'done', output: { driftId } };
    },
    async compensate(ctx) {
      const { resourceId, driftId } = ctx.params;
      await decideSpecInStep(store, ctx, { type: 'FailRevert', data: { resourceId, driftId, sagaId: ctx.sagaId, reason: 'the revert saga rolled back' } });
    },
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
