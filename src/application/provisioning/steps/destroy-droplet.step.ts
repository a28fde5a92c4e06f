import { z } from 'zod';
import { dropletResourceId } from '../../../domain/inventory/resource.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { decideSpecInStep } from '../../drift/decide-spec-in-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { call, dropletRef, observe } from './droplet-step.support.js';

const destroyOutput = z.object({ dropletId: z.number().int().positive(), resourceId: z.string() });

/** Destroys the droplet (already gone is fine) and records it deleted. Terminal: nothing to undo. */
export function destroyDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof dropletRef>, z.infer<typeof destroyOutput>> {
  return {
    name: 'destroy_droplet',
    input: dropletRef,
    output: destroyOutput,
    async execute(ctx) {
      const id = ctx.params.dropletId;
      const resourceId = dropletResourceId(id);
      await call('destroy droplet', () => deps.cloud.destroyDroplet(id));
      await observe(deps, ctx, resourceId, null);
      await decideSpecInStep(deps.store, ctx, { type: 'RemoveSpec', data: { resourceId, reason: 'destroyed', sagaId: ctx.sagaId } });
      return { status: 'done', output: { dropletId: id, resourceId } };
    },
  };
}
