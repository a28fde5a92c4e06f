import type { z } from 'zod';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { driftRef, failRevert, marked, markRevert } from './revert-step.support.js';

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
