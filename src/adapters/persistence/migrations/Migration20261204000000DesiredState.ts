import { Migration } from '@mikro-orm/migrations';

/**
 * Desired state for the fleet: drift can be ignored under a policy (`ignored`, with the policy and
 * its end) and closes as `resource_deleted` when its droplet goes; `drift_policies` holds the
 * policies. `cloud_drift` is emptied and its checkpoint removed so the runner replays it from the
 * log at the next start: the rows of drift closed because its resource was gone become
 * `resource_deleted`, as the events say.
 */
export class Migration20261204000000DesiredState extends Migration {
  override up(): void {
    this.addSql('alter table cloud_drift add column policy_id text, add column ignored_until timestamptz;');
    this.addSql('alter table cloud_drift drop constraint cloud_drift_status_check;');
    this.addSql(`alter table cloud_drift add constraint cloud_drift_status_check check (status in ('open', 'ignored', 'accepted', 'reverted', 'stale', 'resource_deleted'));`);
    this.addSql('drop index if exists cloud_drift_resource_id_field_idx;');
    this.addSql(`create unique index cloud_drift_resource_id_field_idx on cloud_drift (resource_id, field) where status in ('open', 'ignored');`);
    this.addSql('create index cloud_drift_resource_id_idx on cloud_drift (resource_id);');
    this.addSql('create index cloud_drift_policy_id_idx on cloud_drift (policy_id) where policy_id is not null;');
    this.addSql('delete from cloud_drift;');
    this.addSql(`delete from projection_checkpoints where name in ('cloud-drift', 'cloud-drift:rebuild');`);
    this.addSql(`
      create table drift_policies (
        policy_id text primary key,
        resource text not null,
        field text not null,
        owner text not null,
        reason text not null,
        expires_at timestamptz not null,
        created_at timestamptz not null,
        created_by text not null,
        ended_at timestamptz,
        ended_by text
      );
    `);
    this.addSql('create index drift_policies_live_idx on drift_policies (expires_at) where ended_at is null;');
  }

  override down(): void {
    this.addSql('drop table if exists drift_policies;');
    this.addSql('drop index if exists cloud_drift_policy_id_idx;');
    this.addSql('drop index if exists cloud_drift_resource_id_idx;');
    this.addSql('drop index if exists cloud_drift_resource_id_field_idx;');
    this.addSql(`delete from cloud_drift where status in ('ignored', 'resource_deleted');`);
    this.addSql(`create unique index cloud_drift_resource_id_field_idx on cloud_drift (resource_id, field) where status = 'open';`);
    this.addSql('alter table cloud_drift drop constraint cloud_drift_status_check;');
    this.addSql(`alter table cloud_drift add constraint cloud_drift_status_check check (status in ('open', 'accepted', 'reverted', 'stale'));`);
    this.addSql('alter table cloud_drift drop column policy_id, drop column ignored_until;');
  }
}
