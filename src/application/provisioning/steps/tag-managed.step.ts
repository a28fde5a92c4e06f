import { z } from 'zod';
import { MANAGED_TAG } from '../../../domain/inventory/resource.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { call, dropletRef, existingDroplet } from './droplet-step.support.js';

const taggedOutput = z.object({ dropletId: z.number().int().positive() });

/**
 * Puts the managed tag on a droplet made outside cloudledger (a re-run finds it on and does
 * nothing). Adoption starts only for a droplet without the tag, so its compensation takes it off.
 */
export function tagManagedStep(deps: DropletStepDeps): SagaStep<z.infer<typeof dropletRef>, z.infer<typeof taggedOutput>> {
  return {
    name: 'tag_managed',
    input: dropletRef,
    output: taggedOutput,
    async execute(ctx) {
      const id = ctx.params.dropletId;
      const droplet = await existingDroplet(deps.cloud, id);
      if (!droplet.tags.includes(MANAGED_TAG)) await call('tag droplet', () => deps.cloud.tagDroplets(MANAGED_TAG, [id]));
      return { status: 'done', output: { dropletId: id } };
    },
    async compensate(ctx) {
      await call('untag droplet', () => deps.cloud.untagDroplets(MANAGED_TAG, [ctx.params.dropletId]));
    },
  };
}
