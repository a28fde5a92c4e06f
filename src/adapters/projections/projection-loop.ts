import type { EventStore, RecordedEvent, SubscriptionCheckpoint } from '../../domain/event-store/event-store.port.js';
import { comparePositions, parsePosition, type Position } from '../../domain/event-store/position.js';
import type { Projection } from '../../projections/projection.js';
import { AdvisoryLease } from './advisory-lease.js';
import type { BatchApplier } from './batch-applier.js';
import { batches } from './batches.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** At most one checkpoint-only write per projection this often: enough that a restart starts near the head. */
const CHECKPOINT_ONLY_EVERY_MS = 1_000;

export interface ProjectionLoopOptions {
  readonly batchSize: number;
  /** How often a follower that is not the leader, or a stopped projection, looks again. */
  readonly idleRetryMs: number;
  /**
   * After a batch short of `batchSize` (live traffic), how long to let events gather before reading
   * on: fewer, larger transactions, for read models up to this much later. 0: read on at once.
   */
  readonly lingerMs: number;
  readonly onError?: (projection: string, error: unknown) => void;
}

/**
 * Keeps one projection following the log: one writer at a time holds an advisory-lock lease; the
 * leader subscribes from the checkpoint and applies what arrives in batches. A projection stopped by
 * an event that fails its schema waits until an operator resumes it.
 */
export class ProjectionLoop {
  constructor(
    private readonly store: EventStore,
    private readonly databaseUrl: string,
    private readonly checkpoints: CheckpointStore,
    private readonly applier: BatchApplier,
    private readonly options: ProjectionLoopOptions,
  ) {}

  /** Follows the log until `signal` aborts; takes over leadership whenever it is free. */
  async run<Row extends object>(projection: Projection<Row>, signal: AbortSignal): Promise<void> {
    const lease = new AdvisoryLease(this.databaseUrl, projection.name);
    try {
      while (!signal.aborted) {
        try {
          if (!(await lease.tryAcquire())) {
            await sleep(this.options.idleRetryMs, signal);
            continue;
          }
          const checkpoint = await this.checkpoints.ensure(projection.name);
          if (checkpoint.status !== 'running') {
            await sleep(this.options.idleRetryMs, signal);
            continue;
          }
          await this.follow(projection, parsePosition(checkpoint.position), signal);
        } catch (error) {
          this.options.onError?.(projection.name, error);
          await lease.release();
          await sleep(this.options.idleRetryMs, signal);
        }
      }
    } finally {
      await lease.release();
    }
  }

  private async follow<Row extends object>(projection: Projection<Row>, from: Position, signal: AbortSignal): Promise<void> {
    // an abort that came while the lease and checkpoint were awaited fires no listener added now:
    // check it here, with nothing awaited between the check and the listener
    if (signal.aborted) return;
    const subscription = this.store.subscribeToAll({ fromPosition: from, filter: { eventTypes: projection.eventTypes } });
    const stop = (): void => void subscription.close();
    signal.addEventListener('abort', stop);
    let position = from;
    let checkpointWrittenAt = 0;
    // with the store's checkpoints, a projection whose events are rare still moves its own on
    const items: AsyncIterable<RecordedEvent | SubscriptionCheckpoint> = subscription.withCheckpoints?.() ?? subscription;
    try {
      for await (const batch of batches(items, this.options.batchSize)) {
        if (signal.aborted) return;
        const events = batch.filter((item): item is RecordedEvent => !('checkpoint' in item));
        if (events.length > 0) {
          const outcome = await this.applier.apply(projection, { checkpoint: projection.name }, position, events);
          if (outcome.kind === 'moved') return;
          position = outcome.position;
          if (outcome.kind === 'stopped') {
            this.options.onError?.(projection.name, outcome.error);
            return;
          }
          if (batch.length < this.options.batchSize && this.options.lingerMs > 0) await sleep(this.options.lingerMs, signal);
        }
        const last = batch[batch.length - 1]!;
        if ('checkpoint' in last && comparePositions(last.checkpoint, position) > 0 && Date.now() - checkpointWrittenAt >= CHECKPOINT_ONLY_EVERY_MS) {
          if (!(await this.checkpoints.moveOver(projection.name, position, last.checkpoint))) return;
          position = last.checkpoint;
          checkpointWrittenAt = Date.now();
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await subscription.close();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
