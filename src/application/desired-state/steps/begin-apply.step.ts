import { z } from 'zod';
import { specDecider } from '../../../domain/drift/spec.decider.js';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import { dropletIdOf, isReservedTag } from '../../../domain/inventory/resource.js';
import { type SagaStep, StepError } from '../../../domain/saga/saga-step.js';
import { toSpecStream } from '../../../domain/streams.js';
import { loadStream } from '../../event-stream.js';
import { applyInputs } from './apply-step.support.js';

/** What begin_apply read on the spec stream: the droplet, and the spec's size and tags (null where the spec has none). */
export const applyTarget = z.object({ dropletId: z.number().int().positive(), size: z.string().nullable(), tags: z.array(z.string()).nullable() });

/**
 * Reads what the droplet converges on from the spec itself, never from the inputs, and only the
 * version the apply was planned against: a spec declared again since fails the apply (apply again
 * to converge on the new one) rather than changing the droplet to something nobody saw planned.
 */
export function beginApplyStep(store: EventStore): SagaStep<z.infer<typeof applyInputs>, z.infer<typeof applyTarget>> {
  return {
    name: 'begin_apply',
    input: applyInputs,
    output: applyTarget,
    async execute(ctx) {
      const { resourceId, specVersion } = ctx.params;
      const dropletId = dropletIdOf(resourceId);
      if (dropletId === null) throw new StepError('not_a_droplet', `${resourceId} is not a droplet`, false);
      const { state } = await loadStream(store, toSpecStream(resourceId), specDecider);
      if (state.status !== 'recorded') throw new StepError('spec_gone', `${resourceId} has no spec any more`, false);
      if (state.version !== specVersion) {
        throw new StepError('spec_changed', `the spec of ${resourceId} is at version ${state.version}, not ${specVersion} as planned: apply again`, false);
      }
      const { size_slug: size, tags } = state.spec;
      return {
        status: 'done',
        output: {
          dropletId,
          size: typeof size === 'string' ? size : null,
          tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string' && !isReservedTag(t)) : null,
        },
      };
    },
  };
}
