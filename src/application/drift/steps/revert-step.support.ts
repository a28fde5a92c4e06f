import { z } from 'zod';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { decideSpecInStep } from '../decide-spec-in-step.js';

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

export const driftRef = revertInputs.pick({ resourceId: true, driftId: true });
export const marked = z.object({ driftId: z.string() });

export function markRevert(store: EventStore) {
  return async (ctx: Parameters<SagaStep<z.infer<typeof driftRef>, unknown>['execute']>[0]) => {
    const { resourceId, driftId } = ctx.params;
    return decideSpecInStep(store, ctx, { type: 'RequestRevert', data: { resourceId, driftId, sagaId: ctx.sagaId } });
  };
}

export function failRevert(store: EventStore): NonNullable<SagaStep<z.infer<typeof driftRef>, unknown>['compensate']> {
  return async (ctx) => {
    const { resourceId, driftId } = ctx.params;
    await decideSpecInStep(store, ctx, { type: 'FailRevert', data: { resourceId, driftId, sagaId: ctx.sagaId, reason: 'the revert saga rolled back' } });
  };
}
