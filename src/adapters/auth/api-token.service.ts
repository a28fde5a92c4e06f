import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { isRole, type Role } from '../../domain/access/roles.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import { type ApiToken, ApiTokenEntity } from './api-token.entity.js';

export interface Principal {
  readonly tokenId: string;
  /** The token's name: the actor recorded in every event the request appends. */
  readonly name: string;
  readonly role: Role;
}

export type TokenListing = Omit<ApiToken, 'tokenHash'>;

const TOKEN_PREFIX = 'clt_';
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._:@-]{0,63}$/;

/** A token carries 256 random bits, so a plain SHA-256 is the right hash: no dictionary to slow down. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenNameTaken extends Conflict {
  override readonly code = 'token_name_taken';
  constructor(name: string) {
    super(`a live token is already named "${name}"`);
  }
}

/** Bearer API tokens: created and revoked by operators through the CLI, verified on every request. */
export class ApiTokenService {
  constructor(private readonly orm: MikroORM) {}

  /** Returns the token itself exactly once; only its hash is kept. */
  async create(name: string, role: string, createdBy: string, token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`): Promise<{ token: string; listing: TokenListing }> {
    const issues = [];
    if (!NAME_PATTERN.test(name)) issues.push({ path: 'name', message: 'must be 1-64 letters, digits or . _ : @ - and start with a letter or digit' });
    if (!isRole(role)) issues.push({ path: 'role', message: 'must be one of viewer, operator, platform_admin' });
    if (token.length < 24) issues.push({ path: 'token', message: 'must be at least 24 characters' });
    if (issues.length) throw new InvalidInput(issues);
    const em = this.orm.em.fork();
    if (await em.count(ApiTokenEntity, { name, revokedAt: null })) throw new TokenNameTaken(name);
    const row: ApiToken = {
      id: randomUUID(),
      name,
      role: role as Role,
      tokenHash: hashToken(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX.length + 4),
      createdAt: new Date(),
      createdBy,
      revokedAt: null,
      lastUsedAt: null,
    };
    await em.insert(ApiTokenEntity, row);
    const { tokenHash: _, ...listing } = row;
    return { token, listing };
  }

  async list({ includeRevoked = false } = {}): Promise<TokenListing[]> {
    const rows = await this.orm.em.fork().find(ApiTokenEntity, includeRevoked ? {} : { revokedAt: null }, { orderBy: { createdAt: 'asc' } });
    return rows.map(({ tokenHash: _, ...listing }) => listing);
  }

  async countLive(): Promise<number> {
    return this.orm.em.fork().count(ApiTokenEntity, { revokedAt: null });
  }

  async revoke(name: string): Promise<void> {
    const revoked = await this.orm.em.fork().nativeUpdate(ApiTokenEntity, { name, revokedAt: null }, { revokedAt: new Date() });
    if (revoked === 0) throw new NotFound(`no live token is named "${name}"`);
  }

  /** The principal behind a bearer token, or null for an unknown or revoked one. */
  async verify(token: string): Promise<Principal | null> {
    const row = await this.orm.em.fork().findOne(ApiTokenEntity, { tokenHash: hashToken(token), revokedAt: null });
    if (!row) return null;
    return { tokenId: row.id, name: row.name, role: row.role };
  }
}
