import { z } from 'zod';
import { type Action, CloudApiError, type CloudProvider, type Droplet, type DropletActionRequest, type Snapshot } from '../../domain/cloud/cloud.port.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { type SpecCommand, specDecider, type SpecEvent, type SpecState } from '../../domain/drift/spec.decider.js';
import { type Observation, observe as observeCommand, resourceDecider } from '../../domain/inventory/resource.decider.js';
import { dropletResourceId, MANAGED_TAG, observeDroplet, resourceStateSchema, SAGA_TAG_PREFIX, sagaTag } from '../../domain/inventory/resource.js';
import { ignoreErrors, type SagaStep, type StepContext, StepError, type StepOutcome } from '../../domain/saga/saga-step.js';
import { toResourceStream, toSpecStream } from '../../domain/streams.js';
import type { Handled } from '../command-handler.js';
import type { StreamVersion } from '../event-stream.js';
import { handleInStep } from '../saga/handle-in-step.js';

/** How the droplet steps pace their polling; the defaults are DigitalOcean's real pace. */
export interface DropletStepTiming {
  /** wait_droplet_active: between polls (default 5 s) and how many (default 96: 8 minutes). */
  readonly activePollMs: number;
  readonly activeMaxPolls: number;
  /** create_droplet: how long a droplet a lost create may have made is looked for before creating again (tag listings lag). */
  readonly adoptGraceMs: number;
  readonly adoptPollMs: number;
  /** How many creates whose outcome stayed unknown before the step gives up. */
  readonly maxCreates: number;
  /** Action polling (snapshot, resize, power) and how many polls before giving up. */
  readonly actionPollMs: number;
  readonly actionMaxPolls: number;
  /** After a snapshot action completes: looks for the snapshot this often, this many times (listings lag). */
  readonly snapshotFindPollMs: number;
  readonly snapshotFindTries: number;
  /** How many action polls a graceful shutdown before destroy gets before the destroy goes on without it. */
  readonly shutdownMaxPolls: number;
}

export const DEFAULT_DROPLET_TIMING: DropletStepTiming = {
  activePollMs: 5_000,
  activeMaxPolls: 96,
  adoptGraceMs: 15_000,
  adoptPollMs: 3_000,
  maxCreates: 3,
  actionPollMs: 5_000,
  actionMaxPolls: 120,
  snapshotFindPollMs: 5_000,
  snapshotFindTries: 12,
  shutdownMaxPolls: 24,
};

export interface DropletStepDeps {
  /** With the provisioning token. */
  readonly cloud: CloudProvider;
  readonly store: EventStore;
  readonly timing: DropletStepTiming;
}

const dropletId = z.coerce.number().int().positive();
/** The input of the steps that need only the droplet. */
const dropletRef = z.object({ dropletId });
/** A provider failure as a step failure: retry what may pass (429, 5xx, network, a busy droplet), not what will not. */
function stepErrorOf(error: unknown, what: string): StepError {
  if (error instanceof StepError) return error;
  if (error instanceof CloudApiError) return new StepError(error.id, `${what}: ${error.status} ${error.message}`, error.transient || error.busy);
  return new StepError('unexpected', `${what}: ${error instanceof Error ? error.message : String(error)}`, true);
}

/** For the steps that create something in the cloud: undo retried for a quarter of an hour (a rate-limited spell must not leak it). */
const CLOUD_UNDO_RETRY = { maxAttempts: 12, maxDelayMs: 120_000, multiplier: 2 } as const;

async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw stepErrorOf(error, what);
  }
}

/** Poll again later without holding a worker, remembering what the next look needs. */
type Waiting<M> = Extract<StepOutcome<never, M>, { readonly status: 'waiting' }>;
const waiting = <M = never>(retryAfterMs: number, note: string, memory?: M): Waiting<M> => ({ status: 'waiting', retryAfterMs, note, ...(memory === undefined ? {} : { memory }) });

/** The droplet as DigitalOcean has it now; a droplet that no longer exists fails the step for good. */
async function existingDroplet(cloud: CloudProvider, id: number): Promise<Droplet> {
  const droplet = await call('get droplet', () => cloud.getDroplet(id));
  if (!droplet) throw new StepError('droplet_gone', `droplet ${id} no longer exists`, false);
  return droplet;
}

/** Of things made twice under one deterministic name or tag, keeps the oldest (lowest id) and removes the others. */
async function keepOldest<T extends { readonly id: number }>(found: readonly T[], what: string, remove: (id: number) => Promise<unknown>): Promise<T> {
  const [keep, ...extra] = [...found].sort((a, b) => a.id - b.id);
  for (const duplicate of extra) await call(what, () => remove(duplicate.id));
  return keep!;
}

/** Records what the provider has for this droplet in the inventory (source: this saga). */
function observe(deps: DropletStepDeps, ctx: StepContext, resourceId: string, droplet: Observation['observed']): Promise<unknown> {
  const observation: Observation = { resourceId, observed: droplet, source: 'saga', sagaId: ctx.sagaId };
  return handleInStep(deps.store, ctx, toResourceStream(resourceId), resourceDecider, observeCommand(observation));
}

/** Decides on the droplet's spec stream (as this saga's step). */
export function decideSpecInStep(store: EventStore, ctx: StepContext, command: SpecCommand): Promise<Handled<SpecState, SpecEvent, StreamVersion>> {
  return handleInStep(store, ctx, toSpecStream(command.data.resourceId), specDecider, command);
}

// ---- create_droplet ---------------------------------------------------------------------------

/** DigitalOcean's own rules (its API spec): a name is a host name; a tag is letters, digits, `_`, `-` and `:`. */
const dropletName = z
  .string()
  .max(255)
  .regex(/^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/, 'must be letters, digits, dots and dashes, starting and ending with a letter or digit');
export const tagName = z.string().regex(/^[a-zA-Z0-9_\-:]{1,255}$/, 'must be 1 to 255 letters, digits, colons, dashes and underscores');

export const createDropletInput = z.object({
  name: dropletName,
  region: z.string().min(1).max(64),
  size: z.string().min(1).max(64),
  image: z.union([z.string().min(1).max(255), z.number().int().positive()]),
  tags: z.array(tagName).max(50).default([]),
  sshKeys: z.array(z.union([z.string().min(1).max(255), z.number().int().positive()])).max(50).default([]),
});
const createDropletOutput = z.object({ dropletId: z.number().int().positive(), name: z.string(), adopted: z.boolean() });
/** While an earlier run may have created the droplet: since when it is looked for, and how many creates got no answer. */
const createDropletMemory = z.object({ phase: z.literal('searching'), since: z.iso.datetime({ offset: true }), creates: z.number().int().min(0) });
type CreateDropletMemory = z.infer<typeof createDropletMemory>;
const searching = (tag: string, since: Date, creates: number) =>
  waiting<CreateDropletMemory>(0, `looking for a droplet tagged ${tag} since ${since.toISOString()} (creates: ${creates})`, { phase: 'searching', since: since.toISOString(), creates });

/**
 * Creates the droplet, tagged with its saga and as managed. Idempotent through the saga tag: when
 * an earlier run may have created it (a retry, a worker that died mid-step, a create whose answer
 * was lost), the step looks for a droplet with the tag — for a grace period, because a new droplet
 * is missing from tag listings for a moment — and adopts it instead of creating a second.
 */
export function createDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof createDropletInput>, z.infer<typeof createDropletOutput>, CreateDropletMemory> {
  const { cloud, timing } = deps;
  /**
   * The droplets this saga made: its tag and the name asked for. The tag holds only 8 characters
   * of the saga id, so the name guards against another saga's droplet with the same tag.
   */
  const sagaDroplets = async (ctx: StepContext<z.infer<typeof createDropletInput>, CreateDropletMemory>): Promise<Droplet[]> =>
    (await call('list droplets by saga tag', () => cloud.listDroplets({ tag: sagaTag(ctx.sagaId) }))).filter((d) => d.name === ctx.params.name);
  return {
    name: 'create_droplet',
    input: createDropletInput,
    output: createDropletOutput,
    memory: createDropletMemory,
    retry: { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2 },
    // longer than the client's worst case (retries on 429 wait up to a minute each): a create given up
    // on by the timeout would go on and land after this step had created another
    timeoutMs: 5 * 60_000,
    async execute(ctx) {
      const tag = sagaTag(ctx.sagaId);
      const search = ctx.memory;
      const creates = search?.creates ?? 0;
      if (search || ctx.attempt > 1 || ctx.recovering) {
        const found = await sagaDroplets(ctx);
        if (found.length > 0) return { status: 'done', output: await adopt(found) };
        // recovering: a create may have just been posted by the run that was cut short, so the grace starts again
        const since = search && !ctx.recovering ? new Date(search.since) : ctx.now;
        if (ctx.now.getTime() - since.getTime() < timing.adoptGraceMs) return { ...searching(tag, since, creates), retryAfterMs: timing.adoptPollMs };
        if (creates >= timing.maxCreates) throw new StepError('create_unconfirmed', `${creates} creates got no answer and no droplet tagged ${tag} appeared`, false);
      }
      const { name, region, size, image, tags, sshKeys } = ctx.params;
      try {
        const droplet = await cloud.createDroplet({ name, region, size, image, tags: [...new Set([tag, MANAGED_TAG, ...tags])], ssh_keys: sshKeys });
        return { status: 'done', output: { dropletId: droplet.id, name: droplet.name, adopted: false } };
      } catch (error) {
        // the create may have happened: look for it by its tag before trying again
        if (error instanceof CloudApiError && error.outcomeUnknown) return { ...searching(tag, ctx.now, creates + 1), retryAfterMs: timing.adoptPollMs };
        throw stepErrorOf(error, 'create droplet');
      }
    },
    compensationRetry: { ...CLOUD_UNDO_RETRY, initialDelayMs: 2 * timing.adoptGraceMs },
    async compensate(ctx) {
      const created = createDropletOutput.safeParse(ctx.output(ctx.step));
      const ids = new Set((await sagaDroplets(ctx)).map((d) => d.id));
      if (created.success) ids.add(created.data.dropletId);
      else if (ids.size === 0 && ctx.attempt === 1) {
        // undone while a create's outcome was unknown: it may still show, once tag listings catch up
        throw new StepError('create_unconfirmed', `no droplet tagged ${sagaTag(ctx.sagaId)} yet; looking again after the listing lag`, true);
      }
      for (const id of ids) await call('destroy droplet', () => cloud.destroyDroplet(id));
    },
  };

  /** One droplet per saga: should two carry the tag, the oldest is kept and the others destroyed. */
  async function adopt(found: readonly Droplet[]): Promise<z.infer<typeof createDropletOutput>> {
    const keep = await keepOldest(found, 'destroy duplicate droplet', (id) => cloud.destroyDroplet(id));
    return { dropletId: keep.id, name: keep.name, adopted: true };
  }
}

// ---- wait_droplet_active ----------------------------------------------------------------------

const activeOutput = z.object({ dropletId: z.number().int().positive(), publicIpv4: z.string().nullable(), state: resourceStateSchema });
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

// ---- register_droplet -------------------------------------------------------------------------

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
      await observe(deps, ctx, resourceId, state);
      const spec = { size_slug: state.size_slug, region: state.region, image: String(state.attrs.image ?? '') };
      const recorded = await decideSpecInStep(deps.store, ctx, { type: 'RecordSpec', data: { resourceId, spec, reason: 'provisioned', sagaId: ctx.sagaId } });
      return { status: 'done', output: { resourceId, specVersion: recorded.state.status === 'none' ? 1 : recorded.state.version } };
    },
    async compensate(ctx) {
      const resourceId = dropletResourceId(ctx.params.dropletId);
      await decideSpecInStep(deps.store, ctx, { type: 'RemoveSpec', data: { resourceId, reason: 'provision_rolled_back', sagaId: ctx.sagaId } });
      await observe(deps, ctx, resourceId, null);
    },
  };
}

// ---- shutdown_droplet -------------------------------------------------------------------------

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

// ---- destroy_droplet --------------------------------------------------------------------------

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

// ---- actions ----------------------------------------------------------------------------------

/** A droplet action being polled, or the droplet's other action being waited out: what an action step remembers. */
const actionMemory = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('action'), actionId: z.number().int().positive(), polls: z.number().int().min(0) }),
  z.object({ phase: z.literal('busy'), polls: z.number().int().min(0) }),
]);
type ActionMemory = z.infer<typeof actionMemory>;

const pollingAction = (what: string, actionId: number, polls: number) =>
  waiting<ActionMemory>(0, `${what}: action ${actionId} (poll ${polls})`, { phase: 'action', actionId, polls });

/** The action a waiting step is polling, from its memory, and whether it is done; throws when it errored or took too long. */
async function pollAction(
  deps: DropletStepDeps,
  memory: { readonly phase: string } | undefined,
  maxPolls = deps.timing.actionMaxPolls,
): Promise<{ actionId: number; poll: number; done: boolean } | null> {
  if (memory?.phase !== 'action') return null;
  const { actionId, polls } = memory as Extract<ActionMemory, { phase: 'action' }>;
  const poll = polls + 1;
  const action = await call('get action', () => deps.cloud.getAction(actionId));
  if (action.status === 'errored') throw new StepError('action_errored', `${action.type} action ${actionId} errored`, false);
  if (action.status === 'completed') return { actionId, poll, done: true };
  if (poll > maxPolls) throw new StepError('action_too_slow', `${action.type} action ${actionId} still in progress after ${maxPolls} polls`, false);
  return { actionId, poll, done: false };
}

/** Waits for the droplet's other action to end, as long as an action of ours may take; then gives up. */
function whileBusy(deps: DropletStepDeps, memory: { readonly phase: string } | undefined, dropletId: number): Waiting<ActionMemory> {
  const polls = (memory?.phase === 'busy' ? (memory as Extract<ActionMemory, { phase: 'busy' }>).polls : 0) + 1;
  if (polls > deps.timing.actionMaxPolls) throw new StepError('droplet_busy', `droplet ${dropletId} was still busy with another action after ${deps.timing.actionMaxPolls} polls`, false);
  return waiting<ActionMemory>(deps.timing.actionPollMs, `droplet ${dropletId} is busy with another action (poll ${polls})`, { phase: 'busy', polls });
}

/**
 * Posts a droplet action; 'busy' when the droplet is locked by another one (try again later),
 * 'unknown' when the post may have taken effect although it failed.
 */
async function postAction(deps: DropletStepDeps, dropletId: number, action: DropletActionRequest): Promise<Action | 'busy' | 'unknown'> {
  try {
    return await deps.cloud.dropletAction(dropletId, action);
  } catch (error) {
    if (error instanceof CloudApiError && error.busy) return 'busy';
    if (error instanceof CloudApiError && error.outcomeUnknown) return 'unknown';
    throw stepErrorOf(error, `${action.type} droplet ${dropletId}`);
  }
}

// ---- create_droplet_snapshot ------------------------------------------------------------------

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

// ---- resize_droplet ---------------------------------------------------------------------------

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

// ---- retag_droplet ----------------------------------------------------------------------------

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
