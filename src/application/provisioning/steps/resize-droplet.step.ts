import { z } from 'zod';
import type { DropletActionRequest } from '../../../domain/cloud/cloud.port.js';
import type { SagaStep } from '../../../domain/saga/saga-step.js';
import { type ActionMemory, actionMemory, pollAction, pollingAction, postAction, whileBusy } from './droplet-action.support.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { dropletId, existingDroplet, waiting } from './droplet-step.support.js';

const resizeInput = z.object({ dropletId, size: z.string().min(1).max(64), disk: z.boolean().default(false) });
const resizeOutput = z.object({ dropletId: z.number().int().positive(), size: z.string() });

/**
 * Brings the droplet to `size` and back up: power off if needed, resize (CPU and RAM only unless
 * `disk`: a disk resize cannot be undone), power on, each action polled. It converges from
 * whatever state it finds, so a re-run after a crash goes on where the droplet is.
 */
export function resizeDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof resizeInput>, z.infer<typeof resizeOutput>, ActionMemory> {
  const { cloud, timing } = deps;
  return {
    name: 'resize_droplet',
    input: resizeInput,
    output: resizeOutput,
    memory: actionMemory,
    retry: { maxAttempts: 6, initialDelayMs: 2_000, maxDelayMs: 30_000, multiplier: 2 },
    async execute(ctx) {
      const { dropletId: id, size, disk } = ctx.params;
      const polled = await pollAction(deps, ctx.memory);
      if (polled && !polled.done) return { ...pollingAction(`resize ${id} to ${size}`, polled.actionId, polled.poll), retryAfterMs: timing.actionPollMs };
      const droplet = await existingDroplet(cloud, id);
      if (droplet.locked) return whileBusy(deps, ctx.memory, id);
      let next: DropletActionRequest;
      if (droplet.size_slug !== size) next = droplet.status === 'off' ? { type: 'resize', size, disk } : { type: 'power_off' };
      else if (droplet.status === 'off') next = { type: 'power_on' };
      else return { status: 'done', output: { dropletId: id, size } };
      const action = await postAction(deps, id, next);
      if (action === 'busy') return whileBusy(deps, ctx.memory, id);
      // the droplet's state tells on the next look whether it took effect: nothing to remember
      if (action === 'unknown') return waiting(timing.actionPollMs, `${next.type} ${id}: the request may or may not have taken effect`);
      return { ...pollingAction(`${next.type} ${id}`, action.id, 0), retryAfterMs: timing.actionPollMs };
    },
  };
}
