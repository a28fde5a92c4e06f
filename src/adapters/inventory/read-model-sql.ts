import type { MikroORM } from '@mikro-orm/postgresql';
import { InvalidInput } from '../../domain/errors.js';

/** What the inventory, spec and drift read models share: a page, its limit check, timestamps as ISO strings, a query. */

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** A timestamp as the driver returns it: a Date, or a string for columns read back through jsonb. */
export type Timestamp = Date | string;

export const iso = (value: Timestamp): string => new Date(value).toISOString();
export const isoOrNull = (value: Timestamp | null): string | null => (value === null ? null : iso(value));

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidInput([{ path: 'query.limit', message: 'must be a whole number of at least 1' }]);
}

export function queryRows<T>(orm: MikroORM, sql: string, params: readonly unknown[]): Promise<T[]> {
  return orm.em.getConnection().execute<T[]>(sql, [...params], 'all');
}
