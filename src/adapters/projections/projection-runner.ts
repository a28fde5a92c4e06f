import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { EventRegistry } from '../../domain/events/event-registry.js';
import type { AnyProjection, Projection } from '../../projections/projection.js';
import { DEFAULT_PROJECTION_LINGER_MS } from '../config/config.js';
import { BatchApplier } from './batch-applier.js';
import { CheckpointStore } from './checkpoint-store.js';
import { ProjectionLoop } from './projection-loop.js';
import { ProjectionRebuilder, type RebuildProgress } from './projection-rebuilder.js';
import { type ProjectionStatusReport, ProjectionStatusReader } from './projection-status.js';

export interface ProjectionRunnerOptions {
  readonly batchSize?: number;
  /** How often a follower that is not the leader, or a stopped projection, looks again. */
  readonly idleRetryMs?: number;
  /** After a batch short of `batchSize`, how long events gather before the next read (ProjectionLoopOptions). */
  readonly lingerMs?: number;
  readonly onError?: (projection: string, error: unknown) => void;
}

/**
 * What the server, the CLI, tests and benchmarks hold to run projections exactly once per event:
 * the loop that follows the log under a leader lease (projection-loop.ts), the rebuilder
 * (projection-rebuilder.ts) and the status and lag (projection-status.ts), all writing through one
 * batch applier (batch-applier.ts) and one checkpoint store (checkpoint-store.ts).
 */
export class ProjectionRunner {
  private readonly checkpoints: CheckpointStore;
  private readonly loop: ProjectionLoop;
  private readonly rebuilder: ProjectionRebuilder;
  private readonly statusReader: ProjectionStatusReader;

  constructor(orm: MikroORM, store: EventStore, registry: EventRegistry, databaseUrl: string, options: ProjectionRunnerOptions = {}) {
    const batchSize = options.batchSize ?? 500;
    this.checkpoints = new CheckpointStore(orm);
    const applier = new BatchApplier(orm, registry, this.checkpoints);
    this.loop = new ProjectionLoop(store, databaseUrl, this.checkpoints, applier, {
      batchSize,
      idleRetryMs: options.idleRetryMs ?? 1000,
      lingerMs: options.lingerMs ?? DEFAULT_PROJECTION_LINGER_MS,
      onError: options.onError,
    });
    this.rebuilder = new ProjectionRebuilder(orm, store, databaseUrl, this.checkpoints, applier, batchSize);
    this.statusReader = new ProjectionStatusReader(store, this.checkpoints);
  }

  /** Follows the log until `signal` aborts; takes over leadership whenever it is free. */
  run<Row extends object>(projection: Projection<Row>, signal: AbortSignal): Promise<void> {
    return this.loop.run(projection, signal);
  }

  /** Replays the log into fresh tables while the live projection goes on, then swaps them in. */
  rebuild<Row extends object>(projection: Projection<Row>, onProgress?: (p: RebuildProgress) => void): Promise<RebuildProgress> {
    return this.rebuilder.rebuild(projection, onProgress);
  }

  /** Lets a stopped projection go on, reading the failed event again or, with `skipFailedEvent`, passing it over. */
  resume(name: string, { skipFailedEvent = false } = {}): Promise<void> {
    return this.checkpoints.resume(name, skipFailedEvent);
  }

  /** Resolves true once these projections have applied every event of their types written so far; false after `timeoutMs`. */
  waitForCatchUp(projections: readonly AnyProjection[], timeoutMs?: number): Promise<boolean> {
    return this.statusReader.waitForCatchUp(projections, timeoutMs);
  }

  /** Where each projection stands and how far behind it is; `lagCountLimit` caps the count of unapplied events. */
  status(projections: readonly AnyProjection[], options?: { readonly lagCountLimit?: number }): Promise<ProjectionStatusReport[]> {
    return this.statusReader.status(projections, options);
  }
}
