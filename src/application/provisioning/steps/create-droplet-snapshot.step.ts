import { z } from 'zod';
import type { Snapshot } from '../../../domain/cloud/cloud.port.js';
import { type SagaStep, StepError, type StepOutcome } from '../../../domain/saga/saga-step.js';
import { actionMemory, pollAction, pollingAction, postAction, whileBusy } from './droplet-action.support.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { call, CLOUD_UNDO_RETRY, dropletId, existingDroplet, keepOldest, waiting } from './droplet-step.support.js';

const snapshotInput = z.object({ dropletId, label: z.string().min(1).max(255).optional() });
const snapshotOutput = z.object({ dropletId: z.number().int().positive(), snapshotId: z.string(), snapshotName: z.string(), label: z.string().nullable() });
/**
 * Where a snapshot step is: polling its action, waiting out the droplet's other action, looking for
 * the snapshot once its action completed (the listing lags), or looking for one an earlier run may
 * have made before posting again.
 */
const snapshotMemory = z.discriminatedUnion('phase', [
  ...actionMemory.options,
  z.object({ phase: z.literal('finding'), tries: z.number().int().min(1) }),
  z.object({ phase: z.literal('searching'), since: z.iso.datetime({ offset: true }) }),
]);
type SnapshotMemory = z.infer<typeof snapshotMemory>;
const finding = (name: string, tries: number) => waiting<SnapshotMemory>(0, `looking for snapshot ${name} (try ${tries})`, { phase: 'finding', tries });
const searchingSnapshot = (name: string, since: Date) =>
  waiting<SnapshotMemory>(0, `looking for snapshot ${name} made earlier, since ${since.toISOString()}`, { phase: 'searching', since: since.toISOString() });

export const snapshotName = (dropletId: number, sagaId: string): string => `cloudledger-snap-${dropletId}-${sagaId.slice(0, 8)}`;

/**
 * Snapshots the droplet under a deterministic name. Idempotent: a snapshot with that name is
 * adopted; else the action is posted and polled to completion, then the snapshot is looked for
 * (it shows in the droplet's listing a while after the action completes). When an earlier run may
 * have posted the action (a later attempt, a worker that died mid-step, a post answered 5xx or
 * lost), the step waits until the droplet is unlocked and looks for the snapshot as long as the
 * listing may lag before it posts again. Compensation deletes every snapshot with the name.
 */
export function createDropletSnapshotStep(deps: DropletStepDeps): SagaStep<z.infer<typeof snapshotInput>, z.infer<typeof snapshotOutput>, SnapshotMemory> {
  const { cloud, timing } = deps;
  const named = async (id: number, name: string) => (await call('list snapshots', () => cloud.listDropletSnapshots(id))).filter((s) => s.name === name);
  /** One snapshot per saga: should two carry the name, the oldest is kept and the others deleted. */
  const adopt = (found: readonly Snapshot[]): Promise<Snapshot> => keepOldest(found, 'delete duplicate snapshot', (id) => cloud.deleteSnapshot(id));
  /** How long a snapshot may take to show in the listing once its action completed. */
  const listingLagMs = timing.snapshotFindTries * timing.snapshotFindPollMs;
  return {
    name: 'create_droplet_snapshot',
    input: snapshotInput,
    output: snapshotOutput,
    memory: snapshotMemory,
    retry: { maxAttempts: 6, initialDelayMs: 2_000, maxDelayMs: 30_000, multiplier: 2 },
    async execute(ctx) {
      const { dropletId: id, label } = ctx.params;
      const name = snapshotName(id, ctx.sagaId);
      const done = (snapshot: { id: number }): StepOutcome<z.infer<typeof snapshotOutput>, SnapshotMemory> => ({
        status: 'done',
        output: { dropletId: id, snapshotId: String(snapshot.id), snapshotName: name, label: label ?? null },
      });
      const memory = ctx.memory;

      if (memory?.phase === 'finding') {
        const found = await named(id, name);
        if (found.length > 0) return done(await adopt(found));
        const tries = memory.tries + 1;
        if (tries > timing.snapshotFindTries) throw new StepError('snapshot_not_found', `snapshot ${name} did not appear after its action completed`, false);
        return { ...finding(name, tries), retryAfterMs: timing.snapshotFindPollMs };
      }
      const polled = await pollAction(deps, memory);
      if (polled && !polled.done) return { ...pollingAction(`snapshot ${name}`, polled.actionId, polled.poll), retryAfterMs: timing.actionPollMs };
      if (polled?.done) {
        const found = await named(id, name);
        return found.length > 0 ? done(await adopt(found)) : { ...finding(name, 1), retryAfterMs: timing.snapshotFindPollMs };
      }

      const found = await named(id, name);
      if (found.length > 0) return done(await adopt(found));
      const search = memory?.phase === 'searching' ? memory : null;
      if (search || ctx.attempt > 1 || ctx.recovering) {
        // an earlier run may have posted the action: let it finish, then give its snapshot time to show
        const droplet = await existingDroplet(cloud, id);
        if (droplet.locked) return { ...searchingSnapshot(name, ctx.now), retryAfterMs: timing.actionPollMs };
        const since = search && !ctx.recovering ? new Date(search.since) : ctx.now;
        if (ctx.now.getTime() - since.getTime() < listingLagMs) return { ...searchingSnapshot(name, since), retryAfterMs: timing.snapshotFindPollMs };
      }
      const action = await postAction(deps, id, { type: 'snapshot', name });
      // busy: refused, nothing posted; try again once the droplet's other action is done
      if (action === 'busy') return whileBusy(deps, memory, id);
      if (action === 'unknown') return { ...searchingSnapshot(name, ctx.now), retryAfterMs: timing.actionPollMs };
      return { ...pollingAction(`snapshot ${name}`, action.id, 0), retryAfterMs: timing.actionPollMs };
    },
    compensationRetry: { ...CLOUD_UNDO_RETRY, initialDelayMs: 2 * listingLagMs },
    async compensate(ctx) {
      const { dropletId: id } = ctx.params;
      const made = snapshotOutput.safeParse(ctx.output(ctx.step));
      const ids = new Set((await named(id, snapshotName(id, ctx.sagaId))).map((s) => String(s.id)));
      if (made.success) ids.add(made.data.snapshotId);
      else if (ids.size === 0 && (ctx.attempt === 1 || (await call('get droplet', () => cloud.getDroplet(id)))?.locked)) {
        // undone mid-step: a snapshot of its action may still be in the making, or not listed yet
        throw new StepError('snapshot_unconfirmed', `no snapshot ${snapshotName(id, ctx.sagaId)} yet; looking again once the droplet is idle and the listing has caught up`, true);
      }
      for (const snapshotId of ids) await call('delete snapshot', () => cloud.deleteSnapshot(snapshotId));
    },
  };
}
