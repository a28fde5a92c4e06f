import { z } from 'zod';
import { valuesEqual, type Mismatch } from './drift-compare.js';

/**
 * Ignore policies: "drift on these fields of these resources is expected, until then". A policy
 * names resources by a glob over their ids or names and fields by a glob over field paths; the
 * tags field can be matched tag by tag (`tags:pool-*`: drift that only adds or removes tags
 * matching `pool-*`). Every policy has an owner, a reason and an end, at most 180 days away: no
 * exception is forever. Matching drift is recorded as ignored, not dropped, and opens again at
 * the first detection after the policy ends.
 */

export const MAX_POLICY_DAYS = 180;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `*` any run of characters, `?` one; everything else stands for itself. */
const glob = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces: a glob of * and ? over ids, names or fields');

export const driftPolicyRequestSchema = z.strictObject({
  /** A glob over resource ids (`do:droplet:*`) or names (`web-*`). */
  resource: glob,
  /** A glob over field paths (`size_slug`, `*`), or `tags:<glob>` for tags matching it. */
  field: glob,
  owner: z.string().trim().min(1).max(128),
  reason: z.string().trim().min(1).max(1024),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type DriftPolicyRequest = z.infer<typeof driftPolicyRequestSchema>;

export interface DriftPolicy extends DriftPolicyRequest {
  readonly policyId: string;
}

/** What a policy is matched against: the resource, by its id and its name. */
export interface PolicyTarget {
  readonly resourceId: string;
  readonly name: string;
}

/** Whole-string match of a glob of `*` and `?`. Hand-written: the domain takes no library but zod. */
export function globMatches(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(text);
}

const TAGS_BY_KEY = /^tags:(.+)$/;

/** The tags a tags mismatch adds or removes. */
function changedTags(mismatch: Mismatch): string[] {
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === null || value === undefined || value === '' ? [] : [String(value)]);
  const expected = list(mismatch.expected);
  const actual = list(mismatch.actual);
  return [...expected.filter((t) => !actual.some((a) => valuesEqual(a, t))), ...actual.filter((t) => !expected.some((e) => valuesEqual(e, t)))];
}

/** Whether the policy's field pattern covers this mismatch: the field by its path, or tags tag by tag. */
function coversField(pattern: string, mismatch: Mismatch): boolean {
  const byKey = TAGS_BY_KEY.exec(pattern);
  if (!byKey) return globMatches(pattern, mismatch.field);
  if (mismatch.field !== 'tags') return false;
  const changed = changedTags(mismatch);
  return changed.length > 0 && changed.every((tag) => globMatches(byKey[1]!, tag));
}

export const isPolicyLive = (policy: Pick<DriftPolicy, 'expiresAt'>, now: Date): boolean => Date.parse(policy.expiresAt) > now.getTime();

/**
 * The live policy that covers this mismatch on this resource, if any: the one that ends last, so
 * the drift stays ignored as long as any policy says so.
 */
export function coveringPolicy(policies: readonly DriftPolicy[], target: PolicyTarget, mismatch: Mismatch, now: Date): DriftPolicy | null {
  let found: DriftPolicy | null = null;
  for (const policy of policies) {
    if (!isPolicyLive(policy, now)) continue;
    if (!globMatches(policy.resource, target.resourceId) && !globMatches(policy.resource, target.name)) continue;
    if (!coversField(policy.field, mismatch)) continue;
    if (!found || Date.parse(policy.expiresAt) > Date.parse(found.expiresAt)) found = policy;
  }
  return found;
}

/** Why a policy request cannot be recorded now (an end in the past, or too far away); null when it can. */
export function policyExpiryProblem(expiresAt: string, now: Date): string | null {
  const end = Date.parse(expiresAt);
  if (end <= now.getTime()) return 'must be in the future';
  if (end - now.getTime() > MAX_POLICY_DAYS * DAY_MS) return `must be at most ${MAX_POLICY_DAYS} days away: no policy is forever`;
  return null;
}
