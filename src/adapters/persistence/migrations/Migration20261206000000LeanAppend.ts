import { Migration } from '@mikro-orm/migrations';
import { EVENT_STORE_BATCH_APPEND_SQL, EVENT_STORE_LEAN_APPEND_SQL } from '../../event-store/postgres/postgres.event-store.schema.js';

/** Cheaper appends: append_events's common case done in place, append_events_batch on generic plans. */
export class Migration20261206000000LeanAppend extends Migration {
  override up(): void {
    this.addSql(EVENT_STORE_LEAN_APPEND_SQL);
  }

  /** The functions as migration 20261201000000 made them. */
  override down(): void {
    this.addSql(EVENT_STORE_BATCH_APPEND_SQL);
  }
}
