import type { CloudProvider } from '../../../domain/cloud/cloud.port.js';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';

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
