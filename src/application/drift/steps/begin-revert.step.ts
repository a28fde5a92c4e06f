import { z } from 'zod';
import { openDrift } from '../../../domain/drift/spec.decider.js';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import { dropletIdOf } from '../../../domain/inventory/resource.js';
import { type SagaStep, StepError } from '../../../domain/saga/saga-step.js';
import { failRevert, markRevert, revertInputs } from './revert-step.support.js';

/** What begin_revert found on the spec stream: the droplet and the spec's value of the drifted field. */
export const revertTarget = z.object({ driftId: z.string(), dropletId: z.number().int().positive(), field: z.enum(['size_slug', 'tags']), value: z.unknown() });

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
