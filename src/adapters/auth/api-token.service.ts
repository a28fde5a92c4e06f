import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { isRole, type Role } from '../../domain/access/roles.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import { z } from 'zod';
import { cursorTimestamp, keysetCursor, keysetTimestamp } from '../persistence/keyset-cursor.js';
import { type ApiToken, ApiTokenEntity } from './api-token.entity.js';

export interface Principal {
  readonly tokenId: string;
  /** The token's name: the actor recorded in every event the request appends (with the id). */
  readonly name: string;
  readonly role: Role;
  readonly expiresAt: Date | null;
}

export type TokenListing = Omit<ApiToken, 'tokenHash'>;

const TOKEN_PREFIX = 'clt_';
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._:@-]{0,63}$/;
/** Names of the service's own actors (`system:sync`, …): no token may take one. */
export const RESERVED_NAME_PREFIX = 'system:';
/** `last_used_at` is written at most this often per token, so a busy token costs no write per request. */
const LAST_USED_EVERY_MS = 60_000;

const listCursor = keysetCursor(cursorTimestamp, z.uuid());

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

export interface CreateTokenOptions {
  /** The token itself (the bootstrap token from configuration); default: 256 random bits. */
  readonly token?: string;
  /** When it stops working; default never. */
  readonly expiresAt?: Date | null;
  /** The clock `expiresAt` is checked against. */
  readonly now?: Date;
}

/** Bearer API tokens: created and revoked by operators through the CLI, verified on every request. */
export class ApiTokenService {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Returns the token itself exactly once; only its hash is kept. */
  async create(name: string, role: string, createdBy: string, options: CreateTokenOptions = {}): Promise<{ token: string; listing: TokenListing }> {
    const token = options.token ?? `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = options.now ?? this.clock();
    const issues = [];
    if (!NAME_PATTERN.test(name)) issues.push({ path: 'name', message: 'must be 1-64 letters, digits or . _ : @ - and start with a letter or digit' });
    else if (name.startsWith(RESERVED_NAME_PREFIX)) issues.push({ path: 'name', message: `names starting "${RESERVED_NAME_PREFIX}" are the service's own actors` });
    if (!isRole(role)) issues.push({ path: 'role', message: 'must be one of viewer, operator, platform_admin' });
    if (token.length < 24) issues.push({ path: 'token', message: 'must be at least 24 characters' });
    if (options.expiresAt && options.expiresAt.getTime() <= now.getTime()) issues.push({ path: 'expiresAt', message: 'must be in the future' });
    if (issues.length) throw new InvalidInput(issues);
    const em = this.orm.em.fork();
    if (await em.count(ApiTokenEntity, { name, revokedAt: null })) throw new TokenNameTaken(name);
    const row: ApiToken = {
      id: randomUUID(),
      name,
      role: role as Role,
      tokenHash: hashToken(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX.length + 4),
      createdAt: now,
      createdBy,
      revokedAt: null,
      lastUsedAt: null,
      expiresAt: options.expiresAt ?? null,
    };
    try {
      await em.insert(ApiTokenEntity, row);
    } catch (error) {
      // two creations racing for one name: the unique index on live names keeps one
      if ((error as { code?: string }).code === '23505') throw new TokenNameTaken(name);
      throw error;
    }
    const { tokenHash: _, ...listing } = row;
    return { token, listing };
  }

  /** Tokens oldest first, a page at a time (keyset on creation time and id); revoked ones on request. */
  async list({ includeRevoked = false, limit, cursor }: { includeRevoked?: boolean; limit?: number; cursor?: string } = {}): Promise<{ items: TokenListing[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!includeRevoked) where.push('revoked_at is null');
    if (cursor !== undefined) {
      const [createdAt, id] = listCursor.decode(cursor);
      where.push('(created_at, id) > (?::timestamptz, ?::uuid)');
      params.push(createdAt, id);
    }
    const rows = await this.orm.em.getConnection().execute<
      {
        id: string;
        name: string;
        role: Role;
        token_prefix: string;
        created_at: Date | string;
        created_by: string;
        revoked_at: Date | string | null;
        last_used_at: Date | string | null;
        expires_at: Date | string | null;
        cursor_at: string;
      }[]
    >(
      `select id, name, role, token_prefix, created_at, created_by, revoked_at, last_used_at, expires_at, ${keysetTimestamp('created_at')} as cursor_at
         from api_tokens ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at, id ${limit === undefined ? '' : 'limit ?'}`,
      limit === undefined ? params : [...params, limit + 1],
      'all',
    );
    const page = limit === undefined ? rows : rows.slice(0, limit);
    const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        id: r.id,
        name: r.name,
        role: r.role,
        tokenPrefix: r.token_prefix,
        createdAt: new Date(r.created_at),
        createdBy: r.created_by,
        revokedAt: date(r.revoked_at),
        lastUsedAt: date(r.last_used_at),
        expiresAt: date(r.expires_at),
      })),
      nextCursor: limit !== undefined && rows.length > limit && last ? listCursor.encode([last.cursor_at, last.id]) : null,
    };
  }

  /** Whether any token was ever made, revoked ones included: the bootstrap token is for a first start only. */
  async anyEverCreated(): Promise<boolean> {
    return (await this.orm.em.fork().count(ApiTokenEntity, {})) > 0;
  }

  async revoke(name: string): Promise<void> {
    const revoked = await this.orm.em.fork().nativeUpdate(ApiTokenEntity, { name, revokedAt: null }, { revokedAt: this.clock() });
    if (revoked === 0) throw new NotFound(`no live token is named "${name}"`);
  }

  /** The principal behind a bearer token, or null for an unknown, revoked or expired one. */
  async verify(token: string): Promise<Principal | null> {
    const now = this.clock();
    const row = await this.orm.em.fork().findOne(ApiTokenEntity, { tokenHash: hashToken(token), revokedAt: null });
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= now.getTime())) return null;
    await this.noteUse(row.id, now);
    return { tokenId: row.id, name: row.name, role: row.role, expiresAt: row.expiresAt };
  }

  /** Records the token's last use, at most once a minute (by this process, and by the row's own time). */
  private async noteUse(id: string, now: Date): Promise<void> {
    const written = this.lastUsedWritten.get(id);
    if (written !== undefined && now.getTime() - written < LAST_USED_EVERY_MS) return;
    this.lastUsedWritten.set(id, now.getTime());
    if (this.lastUsedWritten.size > 10_000) this.lastUsedWritten.clear();
    await this.orm.em
      .getConnection()
      .execute(
        'update api_tokens set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)',
        [now, id, new Date(now.getTime() - LAST_USED_EVERY_MS)],
        'run',
      );
  }
}

/** `30d`, `12h`, `90m`, `3600s` or `2w` as milliseconds; InvalidInput otherwise. */
export function parseDuration(text: string, path = 'expires-in'): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!match) throw new InvalidInput([{ path, message: 'must be a number and a unit: s, m, h, d or w (e.g. 30d)' }]);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new InvalidInput([{ path, message: 'must be more than zero' }]);
  return ms;
}
