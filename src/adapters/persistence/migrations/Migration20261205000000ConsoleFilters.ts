import { Migration } from '@mikro-orm/migrations';

/**
 * The console's saga filters: `saga_runs.resource_id` (the resource a saga acts on, from its
 * inputs or, for a provision, from the droplet its create step made) and the cancellation's
 * reason. The rows are emptied and the checkpoint removed, so the runner replays `saga-runs` from
 * the log at the next start and every saga gets its resource.
 */
export class Migration20261205000000ConsoleFilters extends Migration {
  override up(): void {
    this.addSql('alter table saga_runs add column resource_id text, add column cancel_reason text;');
    this.addSql('create index saga_runs_resource_id_idx on saga_runs (resource_id, started_at desc, id desc) where resource_id is not null;');
    this.addSql('create index saga_runs_definition_idx on saga_runs (definition, started_at desc, id desc);');
    this.addSql('delete from saga_runs;');
    this.addSql(`delete from projection_checkpoints where name in ('saga-runs', 'saga-runs:rebuild');`);
  }

  override down(): void {
    this.addSql('drop index if exists saga_runs_definition_idx;');
    this.addSql('drop index if exists saga_runs_resource_id_idx;');
    this.addSql('alter table saga_runs drop column resource_id, drop column cancel_reason;');
  }
}
