import { z } from 'zod';
import { observeDroplet, resourceStateSchema } from '../../../domain/inventory/resource.js';
import { type SagaStep, StepError } from '../../../domain/saga/saga-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { dropletRef, existingDroplet, waiting } from './droplet-step.support.js';

export const activeOutput = z.object({ dropletId: z.number().int().positive(), publicIpv4: z.string().nullable(), state: resourceStateSchema });
/** How many looks so far. */
const pollMemory = z.object({ polls: z.number().int().min(0) });

/** Polls the droplet through the timer queue until it is active with a public IPv4; no side effect, no compensation. */
export function waitDropletActiveStep(deps: DropletStepDeps): SagaStep<z.infer<typeof dropletRef>, z.infer<typeof activeOutput>, z.infer<typeof pollMemory>> {
  const { cloud, timing } = deps;
  return {
    name: 'wait_droplet_active',
    input: dropletRef,
    output: activeOutput,
    memory: pollMemory,
    inputFrom: (ctx) => ctx.output('create_droplet'),
    timeoutMs: 60_000,
    async execute(ctx) {
      const id = ctx.params.dropletId;
      const droplet = await existingDroplet(cloud, id);
      if (droplet.status === 'active' && droplet.public_ipv4 !== null) {
        return { status: 'done', output: { dropletId: id, publicIpv4: droplet.public_ipv4, state: observeDroplet(droplet) } };
      }
      const polls = (ctx.memory?.polls ?? 0) + 1;
      if (polls > timing.activeMaxPolls) throw new StepError('not_active_in_time', `droplet ${id} still ${droplet.status} after ${timing.activeMaxPolls} polls`, false);
      return waiting(timing.activePollMs, `poll ${polls}: droplet ${id} is ${droplet.status}`, { polls });
    },
  };
}
