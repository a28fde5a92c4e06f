import { DigitalOceanClient } from '../../src/adapters/cloud/digitalocean/digitalocean.client.js';
import { dropletSagaDefinitions } from '../../src/application/provisioning/droplet.definitions.js';
import { DEFAULT_DROPLET_TIMING, type DropletStepDeps, type DropletStepTiming } from '../../src/application/provisioning/steps/droplet.steps.js';
import type { EventStore } from '../../src/domain/event-store/event-store.port.js';
import type { SagaDefinition } from '../../src/domain/saga/saga-definitions.js';

/** The droplet steps at test pace: polls of ~100 ms, an adoption grace a few times the simulator's tag-listing lag. */
export const FAST_TIMING: DropletStepTiming = {
  ...DEFAULT_DROPLET_TIMING,
  activePollMs: 100,
  activeMaxPolls: 200,
  adoptGraceMs: 1_500,
  adoptPollMs: 250,
  actionPollMs: 100,
  snapshotFindPollMs: 100,
  snapshotFindTries: 30,
};

/** Droplet step dependencies against a simulator (or any DigitalOcean API) at `url`. */
export function dropletDeps(url: string, store: EventStore, timing: Partial<DropletStepTiming> = {}): DropletStepDeps {
  // few, quick client retries: the steps' own retries and adoption are what the tests exercise
  const cloud = new DigitalOceanClient({ baseUrl: url, token: 'test-provisioning-token', purpose: 'provisioning', baseDelayMs: 20, maxDelayMs: 500 });
  return { cloud, store, timing: { ...FAST_TIMING, ...timing } };
}

export function testDropletDefinitions(url: string, store: EventStore, timing: Partial<DropletStepTiming> = {}): SagaDefinition[] {
  return dropletSagaDefinitions(dropletDeps(url, store, timing));
}
