import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { comparePositions, formatPosition, parsePosition, START } from '../../domain/event-store/position.js';
import type { ProjectionCheckpoint } from '../../projections/checkpoints/projection-checkpoint.entity.js';
import type { AnyProjection } from '../../projections/projection.js';
import type { CheckpointStore } from './checkpoint-store.js';

export interface ProjectionStatusReport {
  readonly name: string;
  readonly status: ProjectionCheckpoint['status'] | 'new';
  readonly position: string;
  readonly eventsApplied: number;
  /** Events of the projection's types not yet applied, counted up to the limit asked for. */
  readonly lagEvents: number;
  /** Age of the oldest event not yet applied; 0 when caught up. */
  readonly lagSeconds: number;
  readonly lastError: string | null;
  readonly failedEventId: string | null;
  readonly updatedAt: Date | null;
}

/** Past this many unapplied events the count stops: "at least" is all an operator needs. */
export const LAG_COUNT_LIMIT = 10_000;

/** Where each projection stands against the log, and how far behind it is (events and seconds). */
export class ProjectionStatusReader {
  constructor(
    private readonly store: EventStore,
    private readonly checkpoints: CheckpointStore,
  ) {}

  /**
   * Where each projection stands. Counting the lag reads the unapplied events, up to
   * `lagCountLimit`; a caller that needs only the lag's age (readiness) passes 1.
   */
  async status(projections: readonly AnyProjection[], { lagCountLimit = LAG_COUNT_LIMIT } = {}): Promise<ProjectionStatusReport[]> {
    const byName = new Map((await this.checkpoints.find(projections.map((p) => p.name))).map((c) => [c.name, c]));
    return Promise.all(
      projections.map(async (projection) => {
        const row = byName.get(projection.name);
        const position = row ? parsePosition(row.position) : START;
        let lagEvents = 0;
        let oldest: Date | undefined;
        for await (const event of this.store.readAll({
          fromPosition: position,
          filter: { eventTypes: projection.eventTypes },
          maxCount: lagCountLimit,
        })) {
          oldest ??= event.recordedAt;
          lagEvents++;
        }
        return {
          name: projection.name,
          status: row?.status ?? 'new',
          position: formatPosition(position),
          eventsApplied: Number(row?.eventsApplied ?? 0),
          lagEvents,
          lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0,
          lastError: row?.lastError ?? null,
          failedEventId: row?.failedEventId ?? null,
          updatedAt: row?.updatedAt ?? null,
        };
      }),
    );
  }

  /**
   * Resolves once these projections have applied every event of their types written so far (or
   * when `timeoutMs` passes: the caller reads a little behind, which its expected revisions catch).
   * "Written so far" is the store's head, not what subscribers can read yet: on PostgreSQL an event
   * committed above the transaction horizon (held back by a transaction anywhere in the cluster)
   * is waited for too, so a caller sees its own writes.
   */
  async waitForCatchUp(projections: readonly AnyProjection[], timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const heads = await Promise.all(projections.map((p) => this.store.headPosition({ eventTypes: p.eventTypes })));
    for (;;) {
      const byName = new Map((await this.checkpoints.find(projections.map((p) => p.name))).map((c) => [c.name, c]));
      const lagging = projections.some((projection, i) => {
        const row = byName.get(projection.name);
        const head = heads[i] ?? null;
        if (head === null || row?.status === 'stopped') return false;
        return comparePositions(row ? parsePosition(row.position) : START, head) < 0;
      });
      if (!lagging) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
