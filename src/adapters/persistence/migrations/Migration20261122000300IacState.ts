import { Migration } from '@mikro-orm/migrations';

/** The IaC state store's read models: current records (served by list) and the lock on each. */
export class Migration20261122000300IacState extends Migration {
  override up(): void {
    this.addSql(`
      create table iac_states (
        resource_id text primary key,
        resource_type text not null,
        provider text not null,
        status text not null,
        record jsonb not null,
        saved_at timestamptz not null,
        saved_by text not null
      );
    `);
    this.addSql('create index iac_states_resource_type_idx on iac_states (resource_type);');
    this.addSql('create index iac_states_provider_idx on iac_states (provider);');
    this.addSql('create index iac_states_status_idx on iac_states (status);');
    this.addSql(`
      create table iac_locks (
        resource_id text primary key,
        lock_id text not null,
        owner text not null,
        operation text not null,
        info text not null,
        who text not null,
        acquired_at timestamptz not null,
        expires_at timestamptz not null,
        ttl_seconds integer not null
      );
    `);
  }

  override down(): void {
    this.addSql('drop table if exists iac_locks;');
    this.addSql('drop table if exists iac_states;');
  }
}
