import { Migration } from '@mikro-orm/migrations';

/** The saga engine: its work table (outbox and timer queue) and the saga read models. */
export class Migration20261122000400Sagas extends Migration {
  override up(): void {
    this.addSql(`
      create table saga_work (
        saga_id text primary key,
        revision_seen integer not null,
        action text not null,
        step integer,
        due_at timestamptz not null,
        attempts integer not null default 0,
        lease_owner text,
        lease_until timestamptz,
        state jsonb not null
      );
    `);
    this.addSql('create index saga_work_due_idx on saga_work (due_at);');
    this.addSql(`
      create table saga_runs (
        id text primary key,
        kind text not null,
        definition text not null,
        version integer not null,
        status text not null,
        steps jsonb not null,
        current_step text,
        deployment_id text,
        triggered_by text not null,
        cancel_requested_by text,
        started_at timestamptz not null,
        updated_at timestamptz not null,
        finished_at timestamptz,
        error text
      );
    `);
    this.addSql('create index saga_runs_status_idx on saga_runs (status);');
    this.addSql('create index saga_runs_kind_idx on saga_runs (kind);');
    this.addSql('create index saga_runs_deployment_idx on saga_runs (deployment_id);');
    this.addSql('create index saga_runs_started_idx on saga_runs (started_at desc, id desc);');
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
  }

  override down(): void {
    this.addSql('drop table if exists saga_step_results;');
    this.addSql('drop table if exists saga_runs;');
    this.addSql('drop table if exists saga_work;');
  }
}
