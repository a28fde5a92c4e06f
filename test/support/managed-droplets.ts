import { randomUUID } from 'node:crypto';
import type { RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { handleOnStream } from '../../src/application/event-stream.js';
import { specDecider } from '../../src/domain/drift/spec.decider.js';
import { MANAGED_TAG } from '../../src/domain/inventory/resource.js';
import { toSpecStream } from '../../src/domain/streams.js';
import type { TestApp } from './app.js';

export interface SeededDroplet {
  readonly dropletId: number;
  readonly resourceId: string;
}

const sync = async (app: TestApp, token: string): Promise<Record<string, unknown>> => {
  const response = await app.request('POST', '/api/v1/inventory/sync', { token });
  if (response.status !== 201) throw new Error(`sync answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
};

/**
 * Droplets already under management, many at once: made in the simulator with the managed tag,
 * their specs recorded on the log as a provisioning would (`{size_slug, region}`), then seen by a
 * sync, with no drift yet.
 */
export async function seedManagedDroplets(app: TestApp, sim: RunningSimulator, prefix: string, count: number, size = 's-1vcpu-1gb'): Promise<SeededDroplet[]> {
  const store = app.server.infrastructure.eventStore;
  const made = Array.from({ length: count }, (_, i) => sim.state.createDroplet({ name: `${prefix}-${i}`, region: 'nyc3', size, image: 'ubuntu-24-04-x64', tags: [MANAGED_TAG] }, { unmanaged: true }).droplet);
  const seeded = made.map((d) => ({ dropletId: d.id, resourceId: `do:droplet:${d.id}` }));
  const metadata = { actor: 'e2e-seed', correlationId: randomUUID(), causationId: null };
  for (const { resourceId } of seeded) {
    await handleOnStream(store, toSpecStream(resourceId), specDecider, { type: 'RecordSpec', data: { resourceId, spec: { size_slug: size, region: 'nyc3' }, reason: 'recorded', sagaId: null } }, metadata);
  }
  await sync(app, app.tokens.operator);
  return seeded;
}

/** Resizes the droplets behind cloudledger's back; the sync that sees it opens their drift at once. */
export async function resizeBehindItsBack(app: TestApp, sim: RunningSimulator, seeded: readonly SeededDroplet[], size: string): Promise<void> {
  for (const { dropletId } of seeded) sim.state.resize(dropletId, size);
  const run = await sync(app, app.tokens.operator);
  const opened = (run.drift as { new_drift?: number } | undefined)?.new_drift;
  if (opened !== seeded.length) throw new Error(`the sync opened ${String(opened)} drift, not ${seeded.length}: ${JSON.stringify(run)}`);
}
