import { Migration } from '@mikro-orm/migrations';

/** One row per projection (and per rebuild in progress): where it stands and how it fares. */
export class Migration20261122000100ProjectionCheckpoints extends Migration {
  override up(): void {
    this.addSql(`
      create table projection_checkpoints (
        name text primary key,
        position text not null,
        status text not null default 'running' check (status in ('running', 'stopped', 'rebuilding')),
        events_applied bigint not null default 0,
        last_event_at timestamptz,
        last_error text,
        failed_event_id uuid,
        failed_position text,
        updated_at timestamptz not null default now()
      );
    `);
  }

  override down(): void {
    this.addSql('drop table if exists projection_checkpoints;');
  }
}
