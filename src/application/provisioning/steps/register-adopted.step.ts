import { z } from 'zod';
import { dropletResourceId, observeDroplet } from '../../../domain/inventory/resource.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { declaredSpec } from '../../desired-state/declared-spec.js';
import { decideSpecInStep } from '../../drift/decide-spec-in-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { dropletId, existingDroplet, observe } from './droplet-step.support.js';

export const adoptInputs = z.object({ dropletId, spec: declaredSpec.optional() });
const adoptedOutput = z.object({ resourceId: z.string(), specVersion: z.number().int().min(1) });

/**
 * Records the droplet, now tagged, in the inventory and its desired spec: the one given, or what
 * it runs now ({size_slug, region, image}, as a provision records). A spec declared before is
 * replaced (version + 1); the same spec again records nothing.
 */
export function registerAdoptedStep(deps: DropletStepDeps): SagaStep<z.infer<typeof adoptInputs>, z.infer<typeof adoptedOutput>> {
  return {
    name: 'register_adopted',
    input: adoptInputs,
    output: adoptedOutput,
    async execute(ctx) {
      const droplet = await existingDroplet(deps.cloud, ctx.params.dropletId);
      const resourceId = dropletResourceId(droplet.id);
      await observe(deps, ctx, resourceId, observeDroplet(droplet));
      const spec = ctx.params.spec ?? { size_slug: droplet.size_slug, region: droplet.region, image: droplet.image };
      const recorded = await decideSpecInStep(deps.store, ctx, { type: 'RecordSpec', data: { resourceId, spec, reason: 'adopted', sagaId: ctx.sagaId } });
      return { status: 'done', output: { resourceId, specVersion: recorded.state.status === 'recorded' ? recorded.state.version : 1 } };
    },
  };
}
