import { Migration } from '@mikro-orm/migrations';
import { DROP_EVENT_STORE_SCHEMA_SQL, EVENT_STORE_SCHEMA_SQL } from '../../event-store/postgres/postgres.event-store.schema.js';

/** The built-in event store: events, streams and the append function. */
export class Migration20261122000000EventStore extends Migration {
  override up(): void {
    this.addSql(EVENT_STORE_SCHEMA_SQL);
  }

  override down(): void {
    this.addSql(DROP_EVENT_STORE_SCHEMA_SQL);
  }
}
