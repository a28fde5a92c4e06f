import type { z } from 'zod';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { decideSpecInStep } from '../decide-spec-in-step.js';
import { driftRef, marked } from './revert-step.support.js';

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
