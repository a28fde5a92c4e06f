import { EntitySchema } from '@mikro-orm/core';

/** `iac_locks`: the lock recorded on each IaC resource; a row past `expiresAt` is free to take. */
export interface IacLockRow {
  resourceId: string;
  lockId: string;
  owner: string;
  operation: string;
  info: string;
  who: string;
  /** The id of the principal that took it; null on locks taken before ids were recorded. */
  whoId: string | null;
  acquiredAt: Date;
  expiresAt: Date;
  ttlSeconds: number;
}

export const IacLockEntity = new EntitySchema<IacLockRow>({
  name: 'IacLock',
  tableName: 'iac_locks',
  properties: {
    resourceId: { type: 'string', primary: true, fieldName: 'resource_id' },
    lockId: { type: 'string', fieldName: 'lock_id' },
    owner: { type: 'string' },
    operation: { type: 'string' },
    info: { type: 'text' },
    who: { type: 'string' },
    whoId: { type: 'string', nullable: true, fieldName: 'who_id' },
    acquiredAt: { type: 'datetime', fieldName: 'acquired_at' },
    expiresAt: { type: 'datetime', fieldName: 'expires_at' },
    ttlSeconds: { type: 'integer', fieldName: 'ttl_seconds' },
  },
});
