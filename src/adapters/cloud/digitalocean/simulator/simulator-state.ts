/**
 * The DigitalOcean simulator's state: droplets, actions and snapshots, moved forward in simulated
 * time. Transitions are applied lazily (`advance()` before every request), each at the instant it
 * was due, so a test that sets every delay to 0 sees them at once and one that sets tens of ms
 * sees the intermediate states.
 */

export interface SimulatorDelays {
  /** `new` → `active` (a public IPv4 is assigned then). */
  readonly dropletActiveMs: number;
  /** An action `in-progress` → `completed` (the droplet is locked meanwhile). */
  readonly actionMs: number;
  /** After a snapshot action completes, until the snapshot shows in the droplet's list. */
  readonly snapshotAppearMs: number;
  /** After a snapshot is deleted, until it leaves the droplet's list. */
  readonly snapshotLingerMs: number;
  /** After a create, until the droplet shows in tag listings. */
  readonly tagListLagMs: number;
}

export const DEFAULT_DELAYS: SimulatorDelays = { dropletActiveMs: 300, actionMs: 200, snapshotAppearMs: 200, snapshotLingerMs: 200, tagListLagMs: 200 };

export interface SimulatorFaults {
  /**
   * Probability in [0, 1] that a /v2 request answers a random 5xx. A GET fails before it is
   * handled; a mutating request (POST, PUT, DELETE) fails before or after its effect, about half
   * each, so a caller meets "created, but answered 500".
   */
  errorRate: number;
  /** Added before every /v2 answer. */
  latencyMs: number;
  /** The next N /v2 requests answer 500, before they have any effect. */
  burst5xx: number;
  /** The next N mutating /v2 requests (POST, PUT, DELETE) take effect, then answer 500. GETs pass. */
  burst5xxAfterEffect: number;
  /** The next N /v2 requests answer 429. */
  burst429: number;
  /** The `retry-after` of those 429s in seconds; null leaves the header out (default 1). */
  retryAfterSeconds: number | null;
}

export const NO_FAULTS: SimulatorFaults = { errorRate: 0, latencyMs: 0, burst5xx: 0, burst5xxAfterEffect: 0, burst429: 0, retryAfterSeconds: 1 };

/** DigitalOcean's tag names: letters, digits, `_`, `-` and `:`, at most 255 characters. */
const TAG_NAME = /^[a-zA-Z0-9_\-:]{1,255}$/;
const TAG_RULE = 'must be 1 to 255 letters, numbers, colons, dashes and underscores';

/** Tags as DigitalOcean takes them on a droplet: names it would accept for POST /v2/tags, else 422. */
function validTags(tags: unknown): string[] {
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw new SimError(422, 'unprocessable_entity', 'tags must be a list of strings');
  const bad = tags.find((t) => !TAG_NAME.test(t));
  if (bad !== undefined) throw new SimError(422, 'unprocessable_entity', `tag ${JSON.stringify(bad)} is invalid: tags ${TAG_RULE}`);
  return tags;
}

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

export type SimDropletStatus = 'new' | 'active' | 'off' | 'archive';

export interface SimDroplet {
  id: number;
  name: string;
  region: string;
  size: string;
  image: string | number;
  tags: string[];
  status: SimDropletStatus;
  locked: boolean;
  createdAt: number;
  activeAt: number;
  /** Shows in tag listings from this instant. */
  listableAt: number;
  ipv4: string | null;
  /** Made by the control API (behind the control plane's back). */
  unmanaged: boolean;
}

export interface SimAction {
  id: number;
  type: string;
  status: 'in-progress' | 'completed' | 'errored';
  dropletId: number;
  region: string;
  startedAt: number;
  completeAt: number;
  completedAt: number | null;
  params: Record<string, unknown>;
}

export interface SimSnapshot {
  id: number;
  name: string;
  dropletId: number;
  region: string;
  minDiskSize: number;
  sizeGigabytes: number;
  createdAt: number;
  visibleAt: number;
  deletedAt: number | null;
  goneAt: number | null;
}

export interface SimRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  /** Set when an injected 5xx answered: whether the request had taken effect first. */
  readonly fault?: 'before_effect' | 'after_effect';
}

interface SizeInfo {
  readonly slug: string;
  readonly memory: number;
  readonly vcpus: number;
  readonly disk: number;
  readonly transfer: number;
  readonly price_monthly: number;
  readonly price_hourly: number;
}

/** Sizes follow DigitalOcean's `s-<n>vcpu-<m>gb` slugs; any such slug is accepted. */
export function sizeInfo(slug: string): SizeInfo | undefined {
  const match = /^[a-z0-9]+-(\d+)vcpu-(\d+)gb/.exec(slug);
  if (!match) return undefined;
  const vcpus = Number(match[1]);
  const gb = Number(match[2]);
  const price = 6 * gb;
  return { slug, memory: gb * 1024, vcpus, disk: 25 * gb, transfer: gb, price_monthly: price, price_hourly: Math.round((price / 672) * 100000) / 100000 };
}

/** A small deterministic generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ACTION_TYPES = ['snapshot', 'resize', 'power_off', 'power_on', 'shutdown', 'reboot', 'power_cycle'] as const;

export class SimulatorState {
  readonly droplets = new Map<number, SimDroplet>();
  readonly actions = new Map<number, SimAction>();
  readonly snapshots = new Map<number, SimSnapshot>();
  /**
   * Every tag that exists, by lower-cased name → canonical name (DigitalOcean's tag names are case
   * stable: the first capitalization wins). Created explicitly or by tagging a droplet, and kept
   * when no droplet carries it any more.
   */
  readonly tags = new Map<string, string>();
  faults: SimulatorFaults = { ...NO_FAULTS };
  delays: SimulatorDelays;
  /** Recent /v2 requests (no headers: a token never lands here), newest last. */
  readonly requests: SimRequestRecord[] = [];
  random: () => number;
  private nextDropletId: number;
  private nextActionId = 2_000_000_001;
  private nextSnapshotId = 160_000_001;
  private nextIp = 1;

  constructor(
    delays: Partial<SimulatorDelays> = {},
    private readonly seed = 1,
    readonly now: () => number = Date.now,
    private readonly firstDropletId = 500_000_001,
  ) {
    this.nextDropletId = firstDropletId;
    this.delays = { ...DEFAULT_DELAYS, ...delays };
    this.random = seededRandom(seed);
  }

  reset(): void {
    this.droplets.clear();
    this.actions.clear();
    this.snapshots.clear();
    this.tags.clear();
    this.requests.length = 0;
    this.faults = { ...NO_FAULTS };
    this.random = seededRandom(this.seed);
    this.nextDropletId = this.firstDropletId;
    this.nextActionId = 2_000_000_001;
    this.nextSnapshotId = 160_000_001;
    this.nextIp = 1;
  }

  record(entry: SimRequestRecord): void {
    this.requests.push(entry);
    if (this.requests.length > 5_000) this.requests.splice(0, this.requests.length - 5_000);
  }

  /** Applies every transition due by now, in the order they fell due. */
  advance(): void {
    const now = this.now();
    for (const droplet of this.droplets.values()) {
      if (droplet.status === 'new' && droplet.activeAt <= now) {
        droplet.status = 'active';
        droplet.ipv4 ??= this.allocateIp();
      }
    }
    const due = [...this.actions.values()].filter((a) => a.status === 'in-progress' && a.completeAt <= now).sort((a, b) => a.completeAt - b.completeAt);
    for (const action of due) this.complete(action);
    for (const [id, snapshot] of this.snapshots) if (snapshot.goneAt !== null && snapshot.goneAt <= now) this.snapshots.delete(id);
  }

  private complete(action: SimAction): void {
    action.status = 'completed';
    action.completedAt = action.completeAt;
    const droplet = this.droplets.get(action.dropletId);
    if (!droplet) return;
    droplet.locked = false;
    switch (action.type) {
      case 'power_off':
      case 'shutdown':
        droplet.status = 'off';
        break;
      case 'power_on':
      case 'reboot':
      case 'power_cycle':
        droplet.status = 'active';
        break;
      case 'resize':
        droplet.size = String(action.params.size);
        break;
      case 'snapshot': {
        const size = sizeInfo(droplet.size);
        const id = this.nextSnapshotId++;
        this.snapshots.set(id, {
          id,
          name: typeof action.params.name === 'string' && action.params.name ? action.params.name : `${droplet.name}-${action.completeAt}`,
          dropletId: droplet.id,
          region: droplet.region,
          minDiskSize: size?.disk ?? 25,
          sizeGigabytes: Math.round((size?.disk ?? 25) * 0.1 * 100) / 100,
          createdAt: action.completeAt,
          visibleAt: action.completeAt + this.delays.snapshotAppearMs,
          deletedAt: null,
          goneAt: null,
        });
        break;
      }
      default:
        break;
    }
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    return `203.0.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
  }

  createDroplet(input: { name?: unknown; region?: unknown; size?: unknown; image?: unknown; tags?: unknown }, { unmanaged = false } = {}): { droplet: SimDroplet; action: SimAction } {
    if (typeof input.name !== 'string' || !/^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/.test(input.name) || input.name.length > 255) {
      throw new SimError(422, 'unprocessable_entity', 'name is invalid: only letters, digits, dots and dashes');
    }
    if (typeof input.size !== 'string' || !sizeInfo(input.size)) throw new SimError(422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.');
    if (typeof input.image !== 'string' && typeof input.image !== 'number') throw new SimError(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.');
    const region = input.region === undefined ? 'nyc3' : input.region;
    if (typeof region !== 'string' || !/^[a-z]{3}\d$/.test(region)) throw new SimError(422, 'unprocessable_entity', 'You specified an invalid region for Droplet creation.');
    const tags = validTags(input.tags ?? []);
    const now = this.now();
    const droplet: SimDroplet = {
      id: this.nextDropletId++,
      name: input.name,
      region,
      size: input.size,
      image: input.image,
      tags: [...new Set(tags.map((t) => this.ensureTag(t)))],
      status: unmanaged ? 'active' : 'new',
      locked: false,
      createdAt: now,
      activeAt: unmanaged ? now : now + this.delays.dropletActiveMs,
      listableAt: unmanaged ? now : now + this.delays.tagListLagMs,
      ipv4: unmanaged ? this.allocateIp() : null,
      unmanaged,
    };
    this.droplets.set(droplet.id, droplet);
    const action = this.newAction(droplet, 'create', {}, droplet.activeAt);
    if (unmanaged) this.complete(action);
    // no advance(): like the API, the create answers `new` however short the delay
    return { droplet, action };
  }

  private newAction(droplet: SimDroplet, type: string, params: Record<string, unknown>, completeAt: number): SimAction {
    const action: SimAction = { id: this.nextActionId++, type, status: 'in-progress', dropletId: droplet.id, region: droplet.region, startedAt: this.now(), completeAt, completedAt: null, params };
    this.actions.set(action.id, action);
    return action;
  }

  droplet(id: number): SimDroplet {
    const droplet = this.droplets.get(id);
    if (!droplet) throw new SimError(404, 'not_found', 'The resource you were accessing could not be found.');
    return droplet;
  }

  deleteDroplet(id: number): void {
    this.droplet(id);
    this.droplets.delete(id);
  }

  /** Droplets in id order; a tag filter leaves out droplets created too recently (the listing lag). */
  listDroplets(filter: { tag?: string; name?: string }): SimDroplet[] {
    const now = this.now();
    return [...this.droplets.values()]
      .filter((d) => filter.tag === undefined || (d.tags.includes(filter.tag) && d.listableAt <= now))
      .filter((d) => filter.name === undefined || d.name === filter.name)
      .sort((a, b) => a.id - b.id);
  }

  dropletAction(id: number, body: Record<string, unknown>): SimAction {
    const droplet = this.droplet(id);
    const type = body.type;
    if (typeof type !== 'string' || !(ACTION_TYPES as readonly string[]).includes(type)) throw new SimError(422, 'unprocessable_entity', `unsupported action type ${JSON.stringify(type)}`);
    if (droplet.locked || droplet.status === 'new') throw new SimError(422, 'unprocessable_entity', 'Droplet already has a pending event.');
    if (type === 'resize') {
      if (typeof body.size !== 'string' || !sizeInfo(body.size)) throw new SimError(422, 'unprocessable_entity', 'You specified an invalid size for Droplet resize.');
      if (droplet.status !== 'off') throw new SimError(422, 'unprocessable_entity', 'Droplet must be powered off to resize.');
    }
    if (type === 'power_on' && droplet.status === 'active') throw new SimError(422, 'unprocessable_entity', 'Droplet is already powered on.');
    if ((type === 'power_off' || type === 'shutdown') && droplet.status === 'off') throw new SimError(422, 'unprocessable_entity', 'Droplet is already powered off.');
    const params: Record<string, unknown> = { ...body };
    delete params.type;
    droplet.locked = true;
    // answered `in-progress` however short the delay; the next request sees it completed
    return this.newAction(droplet, type, params, this.now() + this.delays.actionMs);
  }

  action(id: number): SimAction {
    const action = this.actions.get(id);
    if (!action) throw new SimError(404, 'not_found', 'The resource you were accessing could not be found.');
    return action;
  }

  dropletActions(dropletId: number): SimAction[] {
    this.droplet(dropletId);
    return [...this.actions.values()].filter((a) => a.dropletId === dropletId).sort((a, b) => b.id - a.id);
  }

  dropletSnapshots(dropletId: number): SimSnapshot[] {
    this.droplet(dropletId);
    const now = this.now();
    return [...this.snapshots.values()].filter((s) => s.dropletId === dropletId && s.visibleAt <= now).sort((a, b) => a.id - b.id);
  }

  snapshot(id: number): SimSnapshot {
    const snapshot = this.snapshots.get(id);
    if (!snapshot || snapshot.deletedAt !== null) throw new SimError(404, 'not_found', 'The resource you were accessing could not be found.');
    return snapshot;
  }

  deleteSnapshot(id: number): void {
    const snapshot = this.snapshot(id);
    const now = this.now();
    snapshot.deletedAt = now;
    snapshot.goneAt = now + this.delays.snapshotLingerMs;
    this.advance();
  }

  resize(id: number, size: unknown): SimDroplet {
    const droplet = this.droplet(id);
    if (typeof size !== 'string' || !sizeInfo(size)) throw new SimError(422, 'unprocessable_entity', 'invalid size');
    droplet.size = size;
    return droplet;
  }

  setTags(id: number, tags: unknown): SimDroplet {
    const droplet = this.droplet(id);
    droplet.tags = [...new Set(validTags(tags).map((t) => this.ensureTag(t)))];
    return droplet;
  }

  /** The canonical name of `name`, creating the tag when it does not exist. */
  private ensureTag(name: string): string {
    const key = name.toLowerCase();
    const canonical = this.tags.get(key);
    if (canonical !== undefined) return canonical;
    this.tags.set(key, name);
    return name;
  }

  /** `POST /v2/tags`: creating a tag that exists answers it again, in its canonical capitalization. */
  createTag(name: unknown): string {
    if (typeof name !== 'string' || !TAG_NAME.test(name)) {
      throw new SimError(422, 'unprocessable_entity', `name ${TAG_RULE}`);
    }
    return this.ensureTag(name);
  }

  /** A tag by its canonical name (paths must use it); 404 otherwise. */
  tag(name: string): { name: string; droplets: SimDroplet[] } {
    this.requireTag(name);
    return { name, droplets: [...this.droplets.values()].filter((d) => d.tags.includes(name)).sort((a, b) => a.id - b.id) };
  }

  /** `POST /v2/tags/{tag}/resources`: all or nothing; a droplet that has the tag already keeps it once. Immediate in tag listings (only a new droplet lags). */
  tagResources(name: string, resources: unknown): void {
    this.requireTag(name);
    for (const droplet of this.resourceDroplets(resources)) if (!droplet.tags.includes(name)) droplet.tags.push(name);
  }

  /** `DELETE /v2/tags/{tag}/resources`: all or nothing; a droplet without the tag is left alone. */
  untagResources(name: string, resources: unknown): void {
    this.requireTag(name);
    for (const droplet of this.resourceDroplets(resources)) droplet.tags = droplet.tags.filter((t) => t !== name);
  }

  /** 404 unless `name` is a tag's canonical name. */
  private requireTag(name: string): void {
    if (this.tags.get(name.toLowerCase()) !== name) throw new SimError(404, 'not_found', 'The resource you were accessing could not be found.');
  }

  /** The droplets a `resources` body names; 422 on a malformed body, 404 when one of them does not exist. */
  private resourceDroplets(resources: unknown): SimDroplet[] {
    if (!Array.isArray(resources) || resources.length === 0) throw new SimError(422, 'unprocessable_entity', 'resources must be a non-empty list');
    return resources.map((resource: unknown) => {
      const { resource_id: id, resource_type: type } = (typeof resource === 'object' && resource !== null ? resource : {}) as Record<string, unknown>;
      if (type !== 'droplet') throw new SimError(422, 'unprocessable_entity', `unsupported resource_type ${JSON.stringify(type)}`);
      if (typeof id !== 'string' && typeof id !== 'number') throw new SimError(422, 'unprocessable_entity', 'resource_id must be a string');
      const dropletId = Number(id);
      if (!Number.isSafeInteger(dropletId)) throw new SimError(404, 'not_found', 'The resource you were accessing could not be found.');
      return this.droplet(dropletId);
    });
  }

  setFaults(input: Record<string, unknown>): SimulatorFaults {
    const next = { ...this.faults };
    const count = (key: 'burst5xx' | 'burst5xxAfterEffect' | 'burst429' | 'latencyMs'): void => {
      const value = input[key];
      if (value === undefined) return;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new SimError(422, 'unprocessable_entity', `${key} must be a non-negative integer`);
      next[key] = value;
    };
    count('burst5xx');
    count('burst5xxAfterEffect');
    count('burst429');
    count('latencyMs');
    if (input.errorRate !== undefined) {
      if (typeof input.errorRate !== 'number' || input.errorRate < 0 || input.errorRate > 1) throw new SimError(422, 'unprocessable_entity', 'errorRate must be a number from 0 to 1');
      next.errorRate = input.errorRate;
    }
    if (input.retryAfterSeconds !== undefined) {
      const value = input.retryAfterSeconds;
      if (value !== null && (typeof value !== 'number' || value < 0)) throw new SimError(422, 'unprocessable_entity', 'retryAfterSeconds must be a non-negative number or null');
      next.retryAfterSeconds = value;
    }
    this.faults = next;
    return next;
  }
}
