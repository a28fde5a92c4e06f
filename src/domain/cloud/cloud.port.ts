/**
 * The cloud provider port: what the control plane asks of DigitalOcean (or the simulator), in the
 * provider's own vocabulary. Types only; the adapter in src/adapters/cloud implements it.
 */

export type DropletStatus = 'new' | 'active' | 'off' | 'archive';

export interface Droplet {
  readonly id: number;
  readonly name: string;
  readonly status: DropletStatus;
  /** Region slug, e.g. `nyc3`. */
  readonly region: string;
  readonly size_slug: string;
  /** Image slug when it has one, else the image id as text. */
  readonly image: string;
  readonly tags: readonly string[];
  /** The first public IPv4 address, null until the droplet has one. */
  readonly public_ipv4: string | null;
  /** True while an action is in progress; a new action on it is refused (422). */
  readonly locked: boolean;
  readonly created_at: string;
}

export type ActionStatus = 'in-progress' | 'completed' | 'errored';

export interface Action {
  readonly id: number;
  readonly status: ActionStatus;
  readonly type: string;
  /** For droplet actions (a snapshot too) the droplet's id, not the snapshot's. */
  readonly resource_id: number | null;
}

export interface Snapshot {
  readonly id: number;
  readonly name: string;
  readonly created_at: string;
  readonly regions: readonly string[];
  readonly min_disk_size: number;
  readonly size_gigabytes: number;
}

export interface CreateDropletRequest {
  readonly name: string;
  readonly region: string;
  readonly size: string;
  readonly image: string | number;
  readonly tags?: readonly string[];
  readonly ssh_keys?: readonly (string | number)[];
}

export type DropletActionRequest =
  | { readonly type: 'snapshot'; readonly name?: string }
  | { readonly type: 'resize'; readonly size: string; readonly disk?: boolean }
  | { readonly type: 'power_off' }
  /** A graceful shutdown (the operating system is asked to halt), unlike power_off. */
  | { readonly type: 'shutdown' }
  | { readonly type: 'power_on' };

export interface CloudProvider {
  /** Never retried on 5xx or a network error: the caller looks for the droplet by its tag. */
  createDroplet(request: CreateDropletRequest): Promise<Droplet>;
  /** Null when the droplet does not exist. */
  getDroplet(id: number): Promise<Droplet | null>;
  /** A droplet already gone (404) is not an error. */
  destroyDroplet(id: number): Promise<void>;
  /** Every page. */
  listDroplets(filter?: { readonly tag?: string }): Promise<Droplet[]>;
  dropletAction(dropletId: number, action: DropletActionRequest): Promise<Action>;
  getAction(id: number): Promise<Action>;
  listDropletSnapshots(dropletId: number): Promise<Snapshot[]>;
  /** A snapshot already gone (404) is not an error. */
  deleteSnapshot(id: string | number): Promise<void>;
  /** Puts `tag` on the droplets, creating the tag when it does not exist yet. Idempotent. */
  tagDroplets(tag: string, dropletIds: readonly number[]): Promise<void>;
  /** Takes `tag` off the droplets; a tag or droplet already gone is not an error. Idempotent. */
  untagDroplets(tag: string, dropletIds: readonly number[]): Promise<void>;
}

/**
 * A failed call to the provider: what it answered, never what was sent (a token never gets here).
 * `status` is 0 when no response arrived (network error); `id` is the provider's error id
 * (`not_found`, `too_many_requests`, …) or one of ours: `network_error`, `invalid_response`,
 * `outcome_unknown` (a create or action POST whose fate is unknown; look before trying again).
 */
export class CloudApiError extends Error {
  override readonly name: string = 'CloudApiError';
  readonly status: number;
  readonly id: string;
  readonly requestId: string | null;

  constructor(fields: { status: number; id: string; message: string; requestId?: string | null }) {
    super(fields.message);
    this.status = fields.status;
    this.id = fields.id;
    this.requestId = fields.requestId ?? null;
  }

  /**
   * True when the call may have had its effect although it failed: a POST answered 5xx or lost
   * (`outcome_unknown`), or accepted (2xx) with a body that could not be read.
   */
  get outcomeUnknown(): boolean {
    return this.id === 'outcome_unknown' || (this.id === 'invalid_response' && this.status >= 200 && this.status < 300);
  }

  /** Worth trying again as it is: no answer, rate-limited, or the provider's own failure. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  /** The droplet is busy with another action (locked): DigitalOcean's 422 "pending event". Try later. */
  get busy(): boolean {
    return this.status === 422 && /pending event|locked/i.test(this.message);
  }
}
