import type { EntitySchema } from '@mikro-orm/core';
import type { DomainEvent } from '../domain/events/event-envelope.js';

/**
 * A read model as a fold: `evolve(row | null, event) → row | null` over the events it handles.
 * Returning null deletes the row. Pure, so a rebuild from the log yields the same rows as live
 * processing, and a unit test can feed it events directly.
 */
export interface Projection<Row extends object = Record<string, unknown>> {
  /** Stable: names the checkpoint and the leader lease. */
  readonly name: string;
  /** The read-model table, as a MikroORM entity whose primary key is `key`. */
  readonly entity: EntitySchema<Row>;
  readonly key: keyof Row & string;
  readonly eventTypes: readonly string[];
  /** The row an event touches. */
  keyOf(event: DomainEvent): string;
  evolve(row: Row | null, event: DomainEvent): Row | null;
}

/** For lists of projections over different rows: EntitySchema is invariant in its row type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProjection = Projection<any>;
