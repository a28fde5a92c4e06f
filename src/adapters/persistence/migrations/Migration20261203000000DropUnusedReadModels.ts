import { Migration } from '@mikro-orm/migrations';

/**
 * `cloud_resource_events` and `saga_step_results` were projected and rebuilt but nothing read them:
 * the audit replays the log (ResourceHistory) and `GET /sagas/:id` folds the saga's stream. Their
 * tables go, with their checkpoints and any schema an interrupted rebuild left behind.
 */
export class Migration20261203000000DropUnusedReadModels extends Migration {
  override up(): void {
    this.addSql('drop table if exists cloud_resource_events;');
    this.addSql('drop table if exists saga_step_results;');
    this.addSql('drop schema if exists rebuild_cloud_resource_events cascade;');
    this.addSql('drop schema if exists rebuild_saga_step_results cascade;');
    this.addSql(
      `delete from projection_checkpoints where name in ('cloud-resource-events', 'cloud-resource-events:rebuild', 'saga-step-results', 'saga-step-results:rebuild');`,
    );
  }

  /** The tables come back empty and without checkpoints: a projection that finds none replays the log from the start. */
  override down(): void {
    this.addSql(`
      create table saga_step_results (
        id text primary key,
        saga_id text not null,
        step_index integer not null,
        name text not null,
        status text not null,
        attempts integer not null,
        output jsonb,
        error text,
        started_at timestamptz,
        finished_at timestamptz,
        compensated boolean not null default false,
        compensated_at timestamptz
      );
    `);
    this.addSql('create index saga_step_results_saga_idx on saga_step_results (saga_id, step_index);');
    this.addSql(`
      create table cloud_resource_events (
        id text primary key,
        resource_id text not null,
        event text not null,
        before jsonb,
        after jsonb,
        source text not null,
        actor text not null,
        saga_id text,
        drift_id text,
        correlation_id text not null,
        causation_id text,
        stream text not null,
        revision bigint not null,
        occurred_at timestamptz not null
      );
    `);
    this.addSql('create index cloud_resource_events_resource_id_occurred_at_idx on cloud_resource_events (resource_id, occurred_at);');
  }
}
