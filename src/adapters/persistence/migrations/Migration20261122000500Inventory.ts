import { Migration } from '@mikro-orm/migrations';

/**
 * Inventory, desired state and drift read models. Indexes carry the names PostgreSQL would choose
 * itself: a projection rebuild copies the table with `like … including all`, which renames every
 * index by the default rule, so only default names stay the same across a rebuild swap.
 */
export class Migration20261122000500Inventory extends Migration {
  override up(): void {
    this.addSql(`
      create table cloud_resources (
        resource_id text primary key,
        provider text not null,
        kind text not null,
        provider_id text not null,
        name text not null,
        region text not null,
        size_slug text not null,
        status text not null,
        tags jsonb not null default '[]',
        attrs jsonb not null default '{}',
        managed boolean not null,
        first_seen_at timestamptz not null,
        last_seen_at timestamptz not null,
        deleted_at timestamptz,
        stream_revision bigint not null
      );
    `);
    // the tag filter: tags @> '["x"]'
    this.addSql('create index cloud_resources_tags_idx on cloud_resources using gin (tags);');
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
    this.addSql(`
      create table cloud_provisioned (
        resource_id text primary key,
        spec jsonb not null,
        spec_version integer not null,
        stream_revision bigint not null,
        recorded_at timestamptz not null,
        recorded_by text not null,
        updated_at timestamptz not null,
        removed_at timestamptz,
        open_drift jsonb not null default '[]'
      );
    `);
    this.addSql(`
      create table cloud_drift (
        id text primary key,
        resource_id text not null,
        field text not null,
        expected jsonb,
        actual jsonb,
        status text not null check (status in ('open', 'accepted', 'reverted', 'stale')),
        spec_version integer not null,
        detected_at timestamptz not null,
        detected_by text not null,
        resolved_at timestamptz,
        resolved_by text,
        revert_saga_id text,
        revert_error text
      );
    `);
    this.addSql(`create unique index cloud_drift_resource_id_field_idx on cloud_drift (resource_id, field) where status = 'open';`);
    this.addSql('create index cloud_drift_status_detected_at_idx on cloud_drift (status, detected_at desc);');
  }

  override down(): void {
    this.addSql('drop table if exists cloud_drift;');
    this.addSql('drop table if exists cloud_provisioned;');
    this.addSql('drop table if exists cloud_resource_events;');
    this.addSql('drop table if exists cloud_resources;');
  }
}
