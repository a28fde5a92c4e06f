import { Migration } from '@mikro-orm/migrations';
import { DROP_EVENT_STORE_BATCH_APPEND_SQL, EVENT_STORE_BATCH_APPEND_SQL } from '../../event-store/postgres/postgres.event-store.schema.js';

/** The event store appends to many streams in one round trip (EventStore.appendToStreams). */
export class Migration20261201000000BatchAppend extends Migration {
  override up(): void {
    this.addSql(EVENT_STORE_BATCH_APPEND_SQL);
  }

  override down(): void {
    this.addSql(DROP_EVENT_STORE_BATCH_APPEND_SQL);
  }
}
