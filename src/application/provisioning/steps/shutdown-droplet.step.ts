import { z } from 'zod';
import { ignoreErrors, type SagaStep } from '../../../domain/saga/saga-step.js';
import { type ActionMemory, actionMemory, pollAction, pollingAction, postAction, whileBusy } from './droplet-action.support.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { dropletRef, existingDroplet, waiting } from './droplet-step.support.js';

const shutdownOutput = z.object({ shutDown: z.boolean() });

/**
 * Asks the droplet's operating system to halt before it is destroyed, so its services stop cleanly.
 * Best effort: a droplet already gone, a shutdown that errors or takes longer than
 * `shutdownMaxPolls` looks is recorded (its error kept on the step) and the destroy goes on —
 * the error handler `ignoreErrors`, with no retries, says so.
 */
export function shutdownDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof dropletRef>, z.infer<typeof shutdownOutput>, ActionMemory> {
  const { cloud, timing } = deps;
  return {
    name: 'shutdown_droplet',
    input: dropletRef,
    output: shutdownOutput,
    memory: actionMemory,
    retry: { maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, multiplier: 1 },
    onError: ignoreErrors({ shutDown: false }),
    async execute(ctx) {
      const id = ctx.params.dropletId;
      const polled = await pollAction(deps, ctx.memory, timing.shutdownMaxPolls);
      if (polled?.done) return { status: 'done', output: { shutDown: true } };
      if (polled) return { ...pollingAction(`shutdown ${id}`, polled.actionId, polled.poll), retryAfterMs: timing.actionPollMs };
      const droplet = await existingDroplet(cloud, id);
      if (droplet.status === 'off') return { status: 'done', output: { shutDown: true } };
      if (droplet.locked) return whileBusy(deps, ctx.memory, id);
      const action = await postAction(deps, id, { type: 'shutdown' });
      if (action === 'busy') return whileBusy(deps, ctx.memory, id);
      // the droplet's status tells on the next look whether it took effect
      if (action === 'unknown') return waiting(timing.actionPollMs, `shutdown ${id}: the request may or may not have taken effect`);
      return { ...pollingAction(`shutdown ${id}`, action.id, 0), retryAfterMs: timing.actionPollMs };
    },
  };
}
