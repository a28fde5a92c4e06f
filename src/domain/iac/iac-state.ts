import { z } from 'zod';

/**
 * The IaC state record: the JSON document of the origin state store (seed 003, `IaCState`), field
 * for field and in snake_case, so records round-trip with the tools that already use it. Fields the
 * origin marks `omitempty` are optional here too; `outputs` and `config` are always present (the
 * origin may send `null` for an empty map, read here as `{}`).
 */

export const IAC_STATUSES = ['planned', 'provisioning', 'active', 'destroying', 'destroyed', 'error'] as const;
export type IacStatus = (typeof IAC_STATUSES)[number];

/** Serialized (UTF-8 JSON) size allowed for `config`, and separately for `outputs`. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

/**
 * A resource id names a stream (`iac-<id>`) and an object key (`<prefix><id>.json`), so it is
 * 1–256 characters from a conservative set: no `/` (keys stay flat under the prefix), no spaces or
 * characters that need escaping in a URL path. Provider-qualified ids such as
 * `do:droplet:572017320` fit.
 */
export const RESOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+=,-]{0,255}$/;

export const resourceIdSchema = z
  .string({ error: 'resource id is required' })
  .min(1, 'resource id is required')
  .regex(RESOURCE_ID_PATTERN, 'must be 1-256 characters: letters, digits and . _ : @ + = , - (starting with a letter or digit)');

/** RFC 3339, as the origin writes it (`time.RFC3339` or `RFC3339Nano`, `Z` or an offset). */
const timestamp = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2026-11-22T10:00:00Z' });

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** `""` counts as absent, as Go's zero value of a string does. */
function emptyAsMissing<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

/** A JSON object of at most MAX_DOCUMENT_BYTES serialized; `null` (an empty Go map) reads as `{}`. */
const jsonDocument = z
  .record(z.string(), z.json())
  .nullable()
  .default({})
  .transform((value) => value ?? {})
  .superRefine((value, ctx) => {
    const bytes = utf8Length(JSON.stringify(value));
    if (bytes > MAX_DOCUMENT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `is ${(bytes / 1024).toFixed(1)} KiB serialized; the limit is ${MAX_DOCUMENT_BYTES / 1024} KiB`,
      });
    }
  });

const recordShape = {
  resource_id: resourceIdSchema,
  resource_type: z.string({ error: 'resource type is required' }).min(1, 'resource type is required').max(256),
  provider: z.string({ error: 'provider is required' }).min(1, 'provider is required').max(256),
  provider_ref: z.string().max(1024).optional(),
  provider_id: z.string().max(1024).optional(),
  config_hash: z.string().max(1024).optional(),
  status: z.enum(IAC_STATUSES, { error: `must be one of ${IAC_STATUSES.join(', ')}` }),
  outputs: jsonDocument,
  config: jsonDocument,
  dependencies: z.array(z.string().min(1)).max(10_000).optional(),
  error: z.string().max(64 * 1024).optional(),
};

/**
 * What a client saves. Unknown fields are refused (a misspelt `resourceId` is an error, not a
 * silent drop). `created_at` and `updated_at` may be missing or empty: the store fills them in.
 */
export const iacStateRecordInputSchema = z.strictObject({
  ...recordShape,
  created_at: emptyAsMissing(timestamp.optional()),
  updated_at: emptyAsMissing(timestamp.optional()),
});

/** A stored record: both timestamps set. Also the `record` of a StateSaved event. */
export const iacStateRecordSchema = z.strictObject({
  ...recordShape,
  created_at: timestamp,
  updated_at: timestamp,
});

/**
 * A record read from storage another tool may also write (an S3 bucket): fields this build does
 * not know are dropped rather than refused, as the origin's JSON decoding does.
 */
export const storedIacStateRecordSchema = z.object({
  ...recordShape,
  outputs: z.record(z.string(), z.unknown()).nullable().default({}).transform((value) => value ?? {}),
  config: z.record(z.string(), z.unknown()).nullable().default({}).transform((value) => value ?? {}),
  created_at: z.string(),
  updated_at: z.string(),
});

export type IacStateRecordInput = z.output<typeof iacStateRecordInputSchema>;
export type IacStateRecord = z.output<typeof iacStateRecordSchema>;

export { type FieldIssue, toFieldIssues } from '../errors.js';

/**
 * Fills the timestamps a client left out: `created_at` from the record being replaced (or now, for
 * a new one), `updated_at` now. Timestamps the client sent are kept as sent, so a record round-trips.
 */
export function stampRecord(input: IacStateRecordInput, previous: IacStateRecord | null, now: Date): IacStateRecord {
  const at = now.toISOString();
  return { ...input, created_at: input.created_at || previous?.created_at || at, updated_at: input.updated_at || at };
}

/** List filter fields: the origin's `resource_type`, `provider` and `status` keys; absent or empty = any. */
export const iacStateFilterFieldsSchema = z.strictObject({
  resource_type: emptyAsMissing(z.string().optional()),
  provider: emptyAsMissing(z.string().optional()),
  status: emptyAsMissing(z.enum(IAC_STATUSES, { error: `must be one of ${IAC_STATUSES.join(', ')}` }).optional()),
});

/** The filter a list call takes: missing means all. */
export const iacStateFilterSchema = iacStateFilterFieldsSchema.optional().transform((filter) => filter ?? {});

export type IacStateFilter = z.input<typeof iacStateFilterSchema>;
export type ParsedIacStateFilter = z.output<typeof iacStateFilterSchema>;

export function matchesFilter(record: IacStateRecord, filter: ParsedIacStateFilter): boolean {
  return (
    (filter.resource_type === undefined || record.resource_type === filter.resource_type) &&
    (filter.provider === undefined || record.provider === filter.provider) &&
    (filter.status === undefined || record.status === filter.status)
  );
}
