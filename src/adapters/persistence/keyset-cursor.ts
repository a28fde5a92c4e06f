import { z } from 'zod';
import { InvalidInput } from '../../domain/errors.js';

/**
 * A keyset-pagination cursor: the sort key of a page's last row, opaque to the client (base64url
 * JSON). Each list declares the parts of its key as zod schemas, and a cursor is decoded against
 * them: one that was not made by this API — malformed, truncated, or with parts edited into values
 * the database would refuse — is a 400, never a query error.
 */
export interface KeysetCursor<Parts extends readonly unknown[]> {
  encode(parts: Parts): string;
  /** The parts, checked; InvalidInput at `query.cursor` for anything else. */
  decode(cursor: string): Parts;
}

/** Text as a cursor part: what a row's key column can hold (no control characters, bounded). */
export const cursorText = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\p{Cc}]*$/u);

/**
 * A timestamp as a cursor part, to the microsecond (what timestamptz keeps): the query selects it
 * with `keysetTimestamp(column)` so the cursor names exactly the row it stopped at.
 */
export const cursorTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
  .refine((value) => {
    const year = Number(value.slice(0, 4));
    return year >= 1 && !Number.isNaN(Date.parse(value));
  });

/** SQL for a timestamptz column in the form `cursorTimestamp` takes. */
export const keysetTimestamp = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const INVALID = () => new InvalidInput([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);

export function keysetCursor<const Schemas extends readonly z.ZodType<string>[]>(
  ...schemas: Schemas
): KeysetCursor<{ [K in keyof Schemas]: z.output<Schemas[K]> }> {
  type Parts = { [K in keyof Schemas]: z.output<Schemas[K]> };
  const tuple = z.tuple(schemas as unknown as [z.ZodType<string>, ...z.ZodType<string>[]]);
  return {
    encode: (parts) => Buffer.from(JSON.stringify(parts)).toString('base64url'),
    decode(cursor) {
      if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw INVALID();
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw INVALID();
      }
      const parsed = tuple.safeParse(value);
      if (!parsed.success) throw INVALID();
      return parsed.data as unknown as Parts;
    },
  };
}
