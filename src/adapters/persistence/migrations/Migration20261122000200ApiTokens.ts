import { Migration } from '@mikro-orm/migrations';

/** API tokens: only a hash of each token is stored; names are unique among live tokens. */
export class Migration20261122000200ApiTokens extends Migration {
  override up(): void {
    this.addSql(`
      create table api_tokens (
        id uuid primary key,
        name text not null,
        role text not null check (role in ('viewer', 'operator', 'platform_admin')),
        token_hash text not null unique,
        token_prefix text not null,
        created_at timestamptz not null,
        created_by text not null,
        revoked_at timestamptz,
        last_used_at timestamptz
      );
      create unique index api_tokens_live_name on api_tokens (name) where revoked_at is null;
    `);
  }

  override down(): void {
    this.addSql('drop table if exists api_tokens;');
  }
}
