import type { EntityManager } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { RecordedEvent } from '../../domain/event-store/event-store.port.js';
import type { Position } from '../../domain/event-store/position.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { EventSchemaViolation, type EventRegistry } from '../../domain/events/event-registry.js';
import type { Projection } from '../../projections/projection.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { RowCodec } from './row-codec.js';

/** Where a batch goes: the live table and checkpoint, or a rebuild's shadow schema and checkpoint. */
export interface BatchTarget {
  readonly checkpoint: string;
  readonly schema?: string;
}

export type BatchOutcome =
  | { readonly kind: 'applied'; readonly position: Position }
  | { readonly kind: 'stopped'; readonly position: Position; readonly error: EventSchemaViolation }
  /** The checkpoint is not where this writer left it: another writer or a rebuild moved it. */
  | { readonly kind: 'moved' };

/**
 * Applies one batch of events exactly once: its rows and its checkpoint in one transaction that
 * first moves the checkpoint on from where this writer left it (locking its row), or finds that
 * another writer moved it and writes nothing. The projection loop and the rebuilder both write
 * through it.
 */
export class BatchApplier {
  private readonly codecs = new Map<object, RowCodec<object>>();

  constructor(
    private readonly orm: MikroORM,
    private readonly registry: EventRegistry,
    private readonly checkpoints: CheckpointStore,
  ) {}

  /**
   * Applies what decodes, in order, with the checkpoint, in one transaction. An event that fails its
   * schema ends the batch there and stops the projection in that same transaction.
   */
  apply<Row extends object>(projection: Projection<Row>, target: BatchTarget, expected: Position, events: readonly RecordedEvent[]): Promise<BatchOutcome> {
    return this.orm.em.fork().transactional((em) => this.applyIn(em, projection, target, expected, events));
  }

  private async applyIn<Row extends object>(
    em: EntityManager,
    projection: Projection<Row>,
    target: BatchTarget,
    expected: Position,
    events: readonly RecordedEvent[],
  ): Promise<BatchOutcome> {
    const decoded: { event: DomainEvent; recorded: RecordedEvent }[] = [];
    let failure: { error: EventSchemaViolation; recorded: RecordedEvent } | undefined;
    for (const recorded of events) {
      try {
        decoded.push({ event: this.registry.decode(recorded), recorded });
      } catch (error) {
        if (!(error instanceof EventSchemaViolation)) throw error;
        failure = { error, recorded };
        break;
      }
    }

    // the checkpoint first: moving it on from where this writer left it locks its row, or says another moved it
    let position = expected;
    if (decoded.length > 0) {
      const last = decoded[decoded.length - 1]!.recorded;
      if (!(await this.checkpoints.advanceFrom(em, target.checkpoint, expected, last.position, decoded.length, last.recordedAt))) return { kind: 'moved' };
      position = last.position;
      await this.writeRows(em, projection, target, decoded.map((d) => d.event));
    } else if (!(await this.checkpoints.lockAt(em, target.checkpoint, expected))) {
      return { kind: 'moved' };
    }
    if (!failure) return { kind: 'applied', position };

    await this.checkpoints.stop(em, target.checkpoint, { error: failure.error.message, eventId: failure.recorded.id, position: failure.recorded.position });
    return { kind: 'stopped', position, error: failure.error };
  }

  /** Folds the events over the rows they touch: one read of those rows, one upsert, one delete. */
  private async writeRows<Row extends object>(
    em: EntityManager,
    projection: Projection<Row>,
    target: BatchTarget,
    events: readonly DomainEvent[],
  ): Promise<void> {
    const codec = this.codecOf(projection);
    const key = projection.key as keyof Row & string;
    const existing = await codec.find(em, target.schema, [...new Set(events.map((e) => projection.keyOf(e)))]);
    const rows = new Map<string, Row | null>(existing.map((row) => [String(row[key]), row]));
    for (const event of events) {
      const rowKey = projection.keyOf(event);
      rows.set(rowKey, projection.evolve(rows.get(rowKey) ?? null, event));
    }
    const upserts = [...rows.values()].filter((row): row is Row => row !== null);
    const deletes = [...rows.entries()].filter(([, row]) => row === null).map(([rowKey]) => rowKey);
    if (upserts.length > 0) await codec.upsert(em, target.schema, upserts);
    if (deletes.length > 0) await codec.delete(em, target.schema, deletes);
  }

  private codecOf<Row extends object>(projection: Projection<Row>): RowCodec<Row> {
    let codec = this.codecs.get(projection.entity) as RowCodec<Row> | undefined;
    if (!codec) {
      codec = new RowCodec(this.orm.getMetadata(projection.entity), this.orm.em.getPlatform());
      this.codecs.set(projection.entity, codec);
    }
    return codec;
  }
}
