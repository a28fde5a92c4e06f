import { Migration } from '@mikro-orm/migrations';

/**
 * Trust: API tokens may expire, and their listing pages by (created_at, id); a lock records the id
 * of the principal that took it.
 */
export class Migration20261202000000Trust extends Migration {
  override up(): void {
    this.addSql('alter table api_tokens add column expires_at timestamptz;');
    this.addSql('create index api_tokens_created_idx on api_tokens (created_at, id);');
    this.addSql('alter table iac_locks add column who_id text;');
  }

  override down(): void {
    this.addSql('alter table iac_locks drop column if exists who_id;');
    this.addSql('drop index if exists api_tokens_created_idx;');
    this.addSql('alter table api_tokens drop column if exists expires_at;');
  }
}
