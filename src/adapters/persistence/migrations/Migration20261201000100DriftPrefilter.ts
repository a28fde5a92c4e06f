import { Migration } from '@mikro-orm/migrations';

/**
 * For drift detection's prefilter (PgInventoryReadModel.detectionInput): a column PostgreSQL
 * derives from each spec, whether every value is a string and `tags`, if there, a list of strings
 * (the specs an exact comparison in SQL can prove equal to their live row), and an index of the
 * deleted resources, which detection counts out.
 */
export class Migration20261201000100DriftPrefilter extends Migration {
  override up(): void {
    this.addSql(`
      alter table cloud_provisioned
        add column spec_plain boolean not null generated always as (
          case
            when jsonb_typeof(spec) <> 'object' then false
            when jsonb_path_exists(spec - 'tags', 'strict $.* ? (@.type() != "string")') then false
            when not spec ? 'tags' then true
            when jsonb_typeof(spec -> 'tags') <> 'array' then false
            else not jsonb_path_exists(spec -> 'tags', 'strict $[*] ? (@.type() != "string")')
          end
        ) stored;
    `);
    this.addSql(`create index cloud_resources_resource_id_idx on cloud_resources (resource_id) where status = 'deleted';`);
  }

  override down(): void {
    this.addSql('drop index if exists cloud_resources_resource_id_idx;');
    this.addSql('alter table cloud_provisioned drop column if exists spec_plain;');
  }
}
