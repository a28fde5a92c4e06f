import { z } from 'zod';
import { dropletResourceId } from '../../../domain/inventory/resource.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { decideSpecInStep } from '../../drift/decide-spec-in-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { observe } from './droplet-step.support.js';
import { activeOutput } from './wait-droplet-active.step.js';

const registerOutput = z.object({ resourceId: z.string(), specVersion: z.number().int().min(1) });

/**
 * Records the droplet in the inventory (its resource stream: consistent now, not at the next sync)
 * and its desired spec {size_slug, region, image} (its spec stream, versioned). Compensation marks
 * both removed (the droplet itself goes with create_droplet's compensation).
 */
export function registerDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof activeOutput>, z.infer<typeof registerOutput>> {
  return {
    name: 'register_droplet',
    input: activeOutput,
    output: registerOutput,
    inputFrom: (ctx) => ctx.output('wait_droplet_active'),
    async execute(ctx) {
      const { dropletId: id, state } = ctx.params;
      const resourceId = dropletResourceId(id);
      // a droplet this saga made has no streams yet, as a rule: appended to without a read first
      // (a sync that saw it first, or this step run again, fails the append's revision and reads then)
      const fresh = { expectNew: !ctx.recovering };
      await observe(deps, ctx, resourceId, state, fresh);
      const spec = { size_slug: state.size_slug, region: state.region, image: String(state.attrs.image ?? '') };
      const recorded = await decideSpecInStep(deps.store, ctx, { type: 'RecordSpec', data: { resourceId, spec, reason: 'provisioned', sagaId: ctx.sagaId } }, fresh);
      return { status: 'done', output: { resourceId, specVersion: recorded.state.status === 'none' ? 1 : recorded.state.version } };
    },
    async compensate(ctx) {
      const resourceId = dropletResourceId(ctx.params.dropletId);
      await decideSpecInStep(deps.store, ctx, { type: 'RemoveSpec', data: { resourceId, reason: 'provision_rolled_back', sagaId: ctx.sagaId } });
      await observe(deps, ctx, resourceId, null);
    },
  };
}
