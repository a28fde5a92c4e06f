import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type IacLock, type IacLockRequest, iacLockSchema, isLockLive } from '../../../domain/iac/iac-lock.js';
import {
  callerOf,
  parseContext,
  parseFilter,
  parseLockId,
  parseLockRequest,
  parsePage,
  parseRecord,
  parseResourceId,
  parseTtl,
  parseWriteLockId,
} from '../../../domain/iac/iac-input.js';
import {
  type IacStateFilter,
  type IacStateRecord,
  matchesFilter,
  RESOURCE_ID_PATTERN,
  storedIacStateRecordSchema,
  toFieldIssues,
} from '../../../domain/iac/iac-state.js';
import {
  type IacCallContext,
  IacConcurrencyConflict,
  type IacPage,
  type IacRenewOptions,
  type IacStateStore,
  type IacWriteOptions,
  LockingDisabled,
} from '../../../domain/iac/iac-state-store.port.js';
import { type AggregateStore, handleCommand } from '../../../application/command-handler.js';
import { ConcurrentWrite } from '../../../domain/event-store/event-store.errors.js';
import { type IacCommand, iacDecider, type IacRecordState } from '../../../domain/iac/iac.decider.js';
import type { IacEvent } from '../../../domain/iac/iac.events.js';
import { httpStatusOf } from './s3.http-status.js';
import { probeConditionalWrites, type S3ProbeResult } from './s3.probe.js';

export const DEFAULT_S3_ENDPOINT = 'https://nyc3.digitaloceanspaces.com';
export const DEFAULT_S3_REGION = 'us-east-1';
export const DEFAULT_S3_PREFIX = 'iac-state/';

export interface S3IacStateStoreOptions {
  readonly bucket: string;
  /** Default: DigitalOcean Spaces in nyc3. */
  readonly endpoint?: string;
  /** Default us-east-1 (what Spaces expects in request signatures whatever the datacenter). */
  readonly region?: string;
  /** Both or neither; neither means the AWS SDK's default credential chain (environment, profile). */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Key prefix of every object this store writes. Default `iac-state/`. */
  readonly prefix?: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`. Default false. */
  readonly forcePathStyle?: boolean;
  /**
   * Default true: locks are conditional writes, and `probe()` refuses a server that ignores them.
   * false: the operator's explicit opt-out for a server that cannot lock safely — the store starts
   * whatever the probe finds, and lock, renew and unlock are refused with LockingDisabled.
   */
  readonly locking?: boolean;
  /** The clock lock expiry is judged by (each client's own: keep them in sync, e.g. NTP). */
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Read-decide-write rounds before a write gives up with IacConcurrencyConflict. Default 10. */
  readonly maxAttempts?: number;
  /** Objects fetched at once by list. Default 16. */
  readonly listConcurrency?: number;
  /** A client of your own (its endpoint and credentials are then yours to set). */
  readonly client?: S3Client;
}

/** An object under the prefix is not a state record this build can read. */
export class CorruptStateObject extends Error {
  override readonly name = 'CorruptStateObject';
  constructor(
    readonly key: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`object ${key} is not a valid IaC state record: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

interface LockObject {
  readonly lock: IacLock;
  readonly etag: string;
}


/**
 * IaC state in an S3-compatible bucket (DigitalOcean Spaces, AWS S3, …), laid out as the origin
 * store does: `<prefix><resourceId>.json` holds the record as JSON, `<prefix><resourceId>.lock`
 * the lock. The rules are the shared decider's; its events become object writes:
 * - LockAcquired: PutObject If-None-Match: * (412 → someone holds it: re-read);
 * - LockExpired + LockAcquired (takeover): PutObject If-Match: <the expired lock's ETag>, so of
 *   many clients taking over the same expired lock exactly one succeeds;
 * - LockRenewed: PutObject If-Match; LockReleased, LockForceReleased, a lone LockExpired:
 *   DeleteObject If-Match — a lock changed since it was read is never overwritten or deleted;
 * - StateSaved / StateDeleted: plain PutObject / DeleteObject after the lock check.
 * A lost condition re-reads and decides again. The lock check before a record write is advisory
 * (read, then write): a lock that expires and is taken over between the two is not noticed, as with
 * any S3 lock; holders renew well before expiry.
 */
export class S3IacStateStore implements IacStateStore {
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly locking: boolean;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  private readonly listConcurrency: number;

  constructor(options: S3IacStateStoreOptions) {
    if (!options.bucket) throw new Error('the S3 IaC state store needs a bucket');
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new Error('the S3 IaC state store needs both an access key id and a secret access key, or neither');
    }
    this.endpoint = options.endpoint ?? DEFAULT_S3_ENDPOINT;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? DEFAULT_S3_PREFIX;
    this.locking = options.locking ?? true;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.listConcurrency = options.listConcurrency ?? 16;
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new S3Client({
        endpoint: this.endpoint,
        region: options.region ?? DEFAULT_S3_REGION,
        forcePathStyle: options.forcePathStyle ?? false,
        credentials:
          options.accessKeyId !== undefined ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey! } : undefined,
        // S3-compatible servers (Spaces among them) reject or mishandle the SDK's default flexible
        // checksums; send them only where the API requires them
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  /** Checks the server honours the conditional writes locking relies on (see probeConditionalWrites). */
  probe(): Promise<S3ProbeResult> {
    return probeConditionalWrites(this.client, { endpoint: this.endpoint, bucket: this.bucket, prefix: this.prefix, locking: this.locking, now: this.now, newId: this.newId });
  }

  /** Closes the connections of the client this store made (an injected client stays open). */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  async get(resourceId: string): Promise<IacStateRecord | null> {
    return (await this.readRecord(parseResourceId(resourceId)))?.record ?? null;
  }

  async save(record: unknown, options: IacWriteOptions, context: IacCallContext): Promise<IacStateRecord> {
    const ctx = parseContext(context);
    const input = parseRecord(record);
    const lockId = parseWriteLockId(options.lockId);
    const { after } = await this.execute(input.resource_id, { type: 'SaveState', data: { record: input, lockId, caller: callerOf(ctx) } }, true);
    return (after as Extract<IacRecordState, { status: 'present' }>).record;
  }

  async list(filter?: IacStateFilter, page?: IacPage): Promise<IacStateRecord[]> {
    const parsed = parseFilter(filter);
    return this.readPage('.json', parsePage(page), async (id) => {
      const record = (await this.readRecord(id))?.record ?? null;
      return record && matchesFilter(record, parsed) ? record : null;
    });
  }

  async delete(resourceId: string, options: IacWriteOptions, context: IacCallContext): Promise<void> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const lockId = parseWriteLockId(options.lockId);
    await this.execute(id, { type: 'DeleteState', data: { resourceId: id, lockId, caller: callerOf(ctx) } }, true);
  }

  async lock(resourceId: string, request: IacLockRequest, context: IacCallContext): Promise<IacLock> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const { lockId, ...rest } = parseLockRequest(request);
    this.requireLocking(id);
    const command: IacCommand = { type: 'AcquireLock', data: { ...rest, resourceId: id, lockId: lockId ?? this.newId(), caller: callerOf(ctx) } };
    return (await this.execute(id, command, false)).after.lock!;
  }

  async renewLock(resourceId: string, lockId: string, options: IacRenewOptions, context: IacCallContext): Promise<IacLock> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const command: IacCommand = { type: 'RenewLock', data: { resourceId: id, lockId: parseLockId(lockId), ttlSeconds: parseTtl(options.ttlSeconds), caller: callerOf(ctx) } };
    this.requireLocking(id);
    return (await this.execute(id, command, false)).after.lock!;
  }

  async unlock(resourceId: string, lockId: string, context: IacCallContext): Promise<void> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const command: IacCommand = { type: 'ReleaseLock', data: { resourceId: id, lockId: parseLockId(lockId), caller: callerOf(ctx) } };
    this.requireLocking(id);
    await this.execute(id, command, false);
  }

  /** Allowed with locking off too, so an operator can clear a lock left by a client that had it on. */
  async forceUnlock(resourceId: string, lockId: string, context: IacCallContext): Promise<IacLock> {
    parseContext(context);
    const id = parseResourceId(resourceId);
    const { before } = await this.execute(id, { type: 'ForceReleaseLock', data: { resourceId: id, lockId: parseLockId(lockId) } }, false);
    return before.lock!;
  }

  async getLock(resourceId: string): Promise<IacLock | null> {
    const found = await this.readLock(parseResourceId(resourceId));
    return found && isLockLive(found.lock, this.now()) ? found.lock : null;
  }

  async listLocks(page?: IacPage): Promise<IacLock[]> {
    const now = this.now();
    return this.readPage('.lock', parsePage(page), async (id) => {
      const lock = (await this.readLock(id))?.lock ?? null;
      return isLockLive(lock, now) ? lock : null;
    });
  }

  /**
   * A page of a list: the ids with an object of this suffix, by code point, after `after`; their
   * objects read a few at a time, in order, until `limit` of them are kept. (Key order is not id
   * order — `a.json` sorts after `a-b.json` — so the ids are sorted here, not by the listing.)
   */
  private async readPage<T>(
    suffix: '.json' | '.lock',
    { limit = Number.POSITIVE_INFINITY, after }: { readonly limit?: number; readonly after?: string },
    read: (id: string) => Promise<T | null>,
  ): Promise<T[]> {
    const ids = (await this.listIds(suffix)).filter((id) => after === undefined || compare(id, after) > 0).sort(compare);
    const kept: T[] = [];
    for (let start = 0; start < ids.length && kept.length < limit; start += this.listConcurrency) {
      const found = await mapLimit(ids.slice(start, start + this.listConcurrency), this.listConcurrency, read);
      for (const item of found) if (item !== null && kept.length < limit) kept.push(item);
    }
    return kept;
  }

  private requireLocking(resourceId: string): void {
    if (!this.locking) throw new LockingDisabled(resourceId);
  }

  /**
   * Through the one command handler, with this bucket as the aggregate's store: the state is the
   * record and lock objects, the version the lock object's ETag, and the append its conditional
   * writes — a lost condition is a concurrent write, so the handler reads and decides again.
   */
  private async execute(resourceId: string, command: IacCommand, needsRecord: boolean): Promise<{ before: IacRecordState; after: IacRecordState }> {
    const store: AggregateStore<IacRecordState, IacEvent, string | null> = {
      load: async () => {
        const [found, lock] = await Promise.all([needsRecord ? this.readRecord(resourceId) : null, this.readLock(resourceId)]);
        const state: IacRecordState = found
          ? { status: 'present', record: found.record, lock: lock?.lock ?? null }
          : { status: 'absent', lock: lock?.lock ?? null };
        return { state, version: lock?.etag ?? null };
      },
      append: async (events, loaded) => {
        await this.apply(resourceId, events, loaded.version, events.reduce(iacDecider.evolve, loaded.state));
        return null;
      },
    };
    const { before, state: after } = await handleCommand(iacDecider, store, command, {
      now: this.now,
      maxAttempts: this.maxAttempts,
      onExhausted: (attempts) => new IacConcurrencyConflict(resourceId, attempts),
    });
    return { before, after };
  }

  private async apply(resourceId: string, events: readonly IacEvent[], lockEtag: string | null, after: IacRecordState): Promise<void> {
    const lockKey = this.lockKey(resourceId);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      switch (event.type) {
        case 'LockExpired':
          // a takeover overwrites the expired lock in place (the LockAcquired that follows)
          if (events[i + 1]?.type === 'LockAcquired') {
            await this.conditional(new PutObjectCommand({ ...this.lockBody(lockKey, after.lock!), IfMatch: lockEtag! }));
            i++;
          } else {
            await this.conditional(new DeleteObjectCommand({ Bucket: this.bucket, Key: lockKey, IfMatch: lockEtag! }));
          }
          break;
        case 'LockAcquired':
          await this.conditional(new PutObjectCommand({ ...this.lockBody(lockKey, after.lock!), IfNoneMatch: '*' }));
          break;
        case 'LockRenewed':
          await this.conditional(new PutObjectCommand({ ...this.lockBody(lockKey, after.lock!), IfMatch: lockEtag! }));
          break;
        case 'LockReleased':
        case 'LockForceReleased':
          await this.conditional(new DeleteObjectCommand({ Bucket: this.bucket, Key: lockKey, IfMatch: lockEtag! }));
          break;
        case 'StateSaved':
          await this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: this.recordKey(resourceId),
              Body: JSON.stringify(event.data.record),
              ContentType: 'application/json',
            }),
          );
          break;
        case 'StateDeleted':
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.recordKey(resourceId) }));
          break;
        default: {
          const _: never = event;
          throw new Error(`no S3 write for ${JSON.stringify(_)}`);
        }
      }
    }
  }

  private lockBody(key: string, lock: IacLock): { Bucket: string; Key: string; Body: string; ContentType: string } {
    return { Bucket: this.bucket, Key: key, Body: JSON.stringify(lock), ContentType: 'application/json' };
  }

  /** Sends a conditional write; 412 (condition failed), 404 (object gone) and 409 (a concurrent conditional write) lose. */
  private async conditional(command: PutObjectCommand | DeleteObjectCommand): Promise<void> {
    try {
      await this.client.send(command as PutObjectCommand);
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 404 || status === 409) throw new ConcurrentWrite(`a conditional write lost: ${status}`);
      throw error;
    }
  }

  private async readRecord(resourceId: string): Promise<{ record: IacStateRecord } | null> {
    const key = this.recordKey(resourceId);
    const object = await this.readObject(key);
    if (!object) return null;
    const parsed = storedIacStateRecordSchema.safeParse(parseJson(object.body));
    if (!parsed.success) throw new CorruptStateObject(key, toFieldIssues(parsed.error));
    return { record: parsed.data as IacStateRecord };
  }

  private async readLock(resourceId: string): Promise<LockObject | null> {
    const key = this.lockKey(resourceId);
    const object = await this.readObject(key);
    if (!object) return null;
    const parsed = iacLockSchema.safeParse(parseJson(object.body));
    if (!parsed.success) throw new CorruptStateObject(key, toFieldIssues(parsed.error));
    return { lock: parsed.data, etag: object.etag };
  }

  private async readObject(key: string): Promise<{ body: string; etag: string } | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: (await response.Body?.transformToString('utf-8')) ?? '', etag: response.ETag ?? '' };
    } catch (error) {
      if (httpStatusOf(error) === 404) return null;
      throw error;
    }
  }

  /** Resource ids with an object of this suffix directly under the prefix. */
  private async listIds(suffix: '.json' | '.lock'): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const { Key: key } of page.Contents ?? []) {
        if (!key?.endsWith(suffix)) continue;
        const id = key.slice(this.prefix.length, -suffix.length);
        if (RESOURCE_ID_PATTERN.test(id)) ids.push(id);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return ids;
  }

  private recordKey(resourceId: string): string {
    return `${this.prefix}${resourceId}.json`;
  }

  private lockKey(resourceId: string): string {
    return `${this.prefix}${resourceId}.lock`;
  }
}

/** Builds the store and probes the server: what a service calls at start. */
export async function openS3IacStateStore(options: S3IacStateStoreOptions): Promise<{ store: S3IacStateStore; probe: S3ProbeResult }> {
  const store = new S3IacStateStore(options);
  try {
    return { store, probe: await store.probe() };
  } catch (error) {
    store.close();
    throw error;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
