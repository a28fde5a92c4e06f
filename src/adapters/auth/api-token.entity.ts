import { EntitySchema } from '@mikro-orm/core';
import type { Role } from '../../domain/access/roles.js';

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  tokenHash: string;
  /** The first characters of the token, to tell tokens apart in listings. */
  tokenPrefix: string;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  /** Written at most once a minute per token. */
  lastUsedAt: Date | null;
  /** After this the token answers 401; null: it does not expire. */
  expiresAt: Date | null;
}

export const ApiTokenEntity = new EntitySchema<ApiToken>({
  name: 'ApiToken',
  tableName: 'api_tokens',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    role: { type: 'string' },
    tokenHash: { type: 'string', fieldName: 'token_hash', hidden: true },
    tokenPrefix: { type: 'string', fieldName: 'token_prefix' },
    createdAt: { type: 'datetime', fieldName: 'created_at' },
    createdBy: { type: 'string', fieldName: 'created_by' },
    revokedAt: { type: 'datetime', nullable: true, fieldName: 'revoked_at' },
    lastUsedAt: { type: 'datetime', nullable: true, fieldName: 'last_used_at' },
    expiresAt: { type: 'datetime', nullable: true, fieldName: 'expires_at' },
  },
});
