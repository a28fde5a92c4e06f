import { Migration } from '@mikro-orm/migrations';

/**
 * Workers' leases move out of `saga_work` into a table of their own. `saga_work` is a projection:
 * its one writer is the projection runner, and a rebuild swaps the table under the workers; the
 * leases are the workers' own state and outlive both.
 */
export class Migration20261202000100SagaLeases extends Migration {
  override up(): void {
    this.addSql(`
      create table saga_leases (
        saga_id text primary key,
        -- null once given back
        owner text,
        lease_until timestamptz,
        -- the saga revision the claim was made at: an expired lease still at that revision was cut short
        revision_claimed integer not null,
        -- given back until then, unless the saga moved past revision_released
        not_before timestamptz,
        revision_released integer
      );
    `);
    this.addSql('alter table saga_work drop column lease_owner, drop column lease_until;');
  }

  override down(): void {
    this.addSql('alter table saga_work add column lease_owner text, add column lease_until timestamptz;');
    this.addSql('drop table if exists saga_leases;');
  }
}
