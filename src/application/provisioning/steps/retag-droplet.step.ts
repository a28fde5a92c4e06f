import { z } from 'zod';
import { MANAGED_TAG, SAGA_TAG_PREFIX } from '../../../domain/inventory/resource.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { call, dropletId, existingDroplet, tagName } from './droplet-step.support.js';

const retagInput = z.object({ dropletId, tags: z.array(tagName) });
const retagOutput = z.object({ dropletId: z.number().int().positive(), added: z.array(z.string()), removed: z.array(z.string()) });

/** Gives the droplet exactly `tags` (and keeps the control plane's own): tags what is missing, untags what is extra. Idempotent. */
export function retagDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof retagInput>, z.infer<typeof retagOutput>> {
  return {
    name: 'retag_droplet',
    input: retagInput,
    output: retagOutput,
    async execute(ctx) {
      const { dropletId: id, tags } = ctx.params;
      const droplet = await existingDroplet(deps.cloud, id);
      const added = tags.filter((t) => !droplet.tags.includes(t));
      // the control plane's own tags stay: without them the droplet would look unmanaged, and its saga lost
      const removed = droplet.tags.filter((t) => !tags.includes(t) && t !== MANAGED_TAG && !t.startsWith(SAGA_TAG_PREFIX));
      for (const tag of added) await call('tag droplet', () => deps.cloud.tagDroplets(tag, [id]));
      for (const tag of removed) await call('untag droplet', () => deps.cloud.untagDroplets(tag, [id]));
      return { status: 'done', output: { dropletId: id, added, removed } };
    },
  };
}
