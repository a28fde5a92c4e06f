import { z } from 'zod';
import { CloudApiError, type CloudProvider, type Droplet } from '../../../domain/cloud/cloud.port.js';
import { type Observation, observe as observeCommand, resourceDecider } from '../../../domain/inventory/resource.decider.js';
import { type StepContext, StepError, type StepOutcome } from '../../../domain/saga/saga-step.js';
import { toResourceStream } from '../../../domain/streams.js';
import type { StreamExpectation } from '../../event-stream.js';
import { handleInStep } from '../../saga/handle-in-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';

// what several droplet steps share: their common schemas, how a provider call fails a step, the looks they all take

export const dropletId = z.coerce.number().int().positive();
/** The input of the steps that need only the droplet. */
export const dropletRef = z.object({ dropletId });
/** DigitalOcean's own rule (its API spec): a tag is letters, digits, `_`, `-` and `:`. */
export const tagName = z.string().regex(/^[a-zA-Z0-9_\-:]{1,255}$/, 'must be 1 to 255 letters, digits, colons, dashes and underscores');

/** A provider failure as a step failure: retry what may pass (429, 5xx, network, a busy droplet), not what will not. */
export function stepErrorOf(error: unknown, what: string): StepError {
  if (error instanceof StepError) return error;
  if (error instanceof CloudApiError) return new StepError(error.id, `${what}: ${error.status} ${error.message}`, error.transient || error.busy);
  return new StepError('unexpected', `${what}: ${error instanceof Error ? error.message : String(error)}`, true);
}

/** For the steps that create something in the cloud: undo retried for a quarter of an hour (a rate-limited spell must not leak it). */
export const CLOUD_UNDO_RETRY = { maxAttempts: 12, maxDelayMs: 120_000, multiplier: 2 } as const;

export async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw stepErrorOf(error, what);
  }
}

/** Poll again later without holding a worker, remembering what the next look needs. */
export type Waiting<M> = Extract<StepOutcome<never, M>, { readonly status: 'waiting' }>;
export const waiting = <M = never>(retryAfterMs: number, note: string, memory?: M): Waiting<M> => ({ status: 'waiting', retryAfterMs, note, ...(memory === undefined ? {} : { memory }) });

/** The droplet as DigitalOcean has it now; a droplet that no longer exists fails the step for good. */
export async function existingDroplet(cloud: CloudProvider, id: number): Promise<Droplet> {
  const droplet = await call('get droplet', () => cloud.getDroplet(id));
  if (!droplet) throw new StepError('droplet_gone', `droplet ${id} no longer exists`, false);
  return droplet;
}

/** Of things made twice under one deterministic name or tag, keeps the oldest (lowest id) and removes the others. */
export async function keepOldest<T extends { readonly id: number }>(found: readonly T[], what: string, remove: (id: number) => Promise<unknown>): Promise<T> {
  const [keep, ...extra] = [...found].sort((a, b) => a.id - b.id);
  for (const duplicate of extra) await call(what, () => remove(duplicate.id));
  return keep!;
}

/** Records what the provider has for this droplet in the inventory (source: this saga); `expectNew` as handleInStep's. */
export function observe(deps: DropletStepDeps, ctx: StepContext, resourceId: string, droplet: Observation['observed'], options: StreamExpectation = {}): Promise<unknown> {
  const observation: Observation = { resourceId, observed: droplet, source: 'saga', sagaId: ctx.sagaId };
  return handleInStep(deps.store, ctx, toResourceStream(resourceId), resourceDecider, observeCommand(observation), options);
}
