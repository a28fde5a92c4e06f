import { InvalidInput } from '../../domain/errors.js';

/** A keyset-pagination cursor: the sort key of a page's last row, opaque to the client. */
export const encodeCursor = (parts: readonly string[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

/** The parts of a cursor this API returned, checked; anything else is the caller's mistake. */
export function decodeCursor(cursor: string, length: number, check: (parts: string[]) => boolean = () => true): string[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'string') && check(value as string[])) {
      return value as string[];
    }
  } catch {
    // reported below
  }
  throw new InvalidInput([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
}
