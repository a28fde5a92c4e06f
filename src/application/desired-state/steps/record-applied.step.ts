import { z } from 'zod';
import { dropletResourceId, observeDroplet } from '../../../domain/inventory/resource.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import type { DropletStepDeps } from '../../provisioning/steps/droplet-step.deps.js';
import { dropletRef, existingDroplet, observe } from '../../provisioning/steps/droplet-step.support.js';

const appliedOutput = z.object({ resourceId: z.string(), sizeSlug: z.string(), tags: z.array(z.string()) });

/** Records the droplet as it now is in the inventory: the spec and the live state agree at once, not at the next sync. */
export function recordAppliedStep(deps: DropletStepDeps): SagaStep<z.infer<typeof dropletRef>, z.infer<typeof appliedOutput>> {
  return {
    name: 'record_applied',
    input: dropletRef,
    output: appliedOutput,
    async execute(ctx) {
      const droplet = await existingDroplet(deps.cloud, ctx.params.dropletId);
      const resourceId = dropletResourceId(droplet.id);
      await observe(deps, ctx, resourceId, observeDroplet(droplet));
      return { status: 'done', output: { resourceId, sizeSlug: droplet.size_slug, tags: [...droplet.tags] } };
    },
  };
}
