import { fieldValue, isReservedTag, type ResourceField, type ResourceState } from '../inventory/resource.js';

/**
 * The drift rules users rely on (seed 002): each spec field is resolved against the resource —
 * a column first, then its attrs — and compared loosely, because JSON round trips change types:
 * scalars as strings, lists as sets, null (or missing) equal to "".
 */

export type Spec = Readonly<Record<string, unknown>>;

export interface Mismatch {
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * JSON with every object's keys sorted: a jsonb round trip reorders keys, and two values that differ
 * only in key order are the same value.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return canonicalJson(value);
}

function asSet(values: readonly unknown[]): Set<string> {
  return new Set(values.map(scalarText));
}

/** The same strings in the same order: equal under the loose rules too, found without building sets. */
function sameStrings(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string' || a[i] !== b[i]) return false;
  return true;
}

/** Loose equality: scalars by their text, lists as sets (of their elements' text), null equal to "". */
export function valuesEqual(expected: unknown, actual: unknown): boolean {
  // the common cases, equal as they stand (detection compares every field of every spec)
  if (typeof expected === 'string' && typeof actual === 'string') return expected === actual;
  if (Array.isArray(expected) && Array.isArray(actual) && sameStrings(expected, actual)) return true;
  if (Array.isArray(expected) || Array.isArray(actual)) {
    const a = asSet(Array.isArray(expected) ? expected : expected === null || expected === undefined || expected === '' ? [] : [expected]);
    const b = asSet(Array.isArray(actual) ? actual : actual === null || actual === undefined || actual === '' ? [] : [actual]);
    return a.size === b.size && [...a].every((v) => b.has(v));
  }
  return scalarText(expected) === scalarText(actual);
}

/**
 * A field's value as desired state sees it. Tags cloudledger sets itself (the managed tag, a saga's
 * tag) are not desired state: a spec's `tags` are the others, and a droplet's are compared without them.
 */
function desiredValue(field: string, value: unknown): unknown {
  return field === 'tags' && Array.isArray(value) ? value.filter((tag) => typeof tag !== 'string' || !isReservedTag(tag)) : value;
}

/** Every spec field whose live value differs, in the spec's field order. */
export function compareSpec(spec: Spec, live: Pick<ResourceState, ResourceField | 'attrs'>): Mismatch[] {
  const mismatches: Mismatch[] = [];
  for (const [field, declared] of Object.entries(spec)) {
    const expected = desiredValue(field, declared);
    const actual = desiredValue(field, fieldValue(live, field) ?? null);
    if (!valuesEqual(expected, actual)) mismatches.push({ field, expected, actual });
  }
  return mismatches;
}
