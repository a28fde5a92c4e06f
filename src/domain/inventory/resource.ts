import { z } from 'zod';
import type { Droplet } from '../cloud/cloud.port.js';

/** The tag every droplet this control plane creates carries. */
export const MANAGED_TAG = 'managed-by-cloudledger';

/** The tag that ties a droplet to the saga that created it: a create's idempotency key. */
export const SAGA_TAG_PREFIX = 'cloudledger-saga-';
export const sagaTag = (sagaId: string): string => `${SAGA_TAG_PREFIX}${sagaId.slice(0, 8)}`;

/**
 * Tags only cloudledger sets: the managed tag and every `cloudledger-` tag (a saga's). A caller
 * who could set them could make an unmanaged droplet look managed, or adopt another saga's.
 */
export const RESERVED_TAG_PREFIX = 'cloudledger-';
export const isReservedTag = (tag: string): boolean => tag === MANAGED_TAG || tag.toLowerCase().startsWith(RESERVED_TAG_PREFIX);

/** Provider-qualified and stable (DESIGN.md, "Streams and events"). */
export const dropletResourceId = (dropletId: number | string): string => `do:droplet:${dropletId}`;

/** The droplet id in `do:droplet:<id>`, or null for any other resource id. */
export function dropletIdOf(resourceId: string): number | null {
  const match = /^do:droplet:(\d{1,15})$/.exec(resourceId);
  return match ? Number(match[1]) : null;
}

/** The fields a resource has as columns; every other observed value lives in `attrs`. */
export const RESOURCE_FIELDS = ['name', 'region', 'size_slug', 'status', 'tags'] as const;
export type ResourceField = (typeof RESOURCE_FIELDS)[number];

/** What the provider has, as the inventory records it. */
export const resourceStateSchema = z.object({
  provider: z.literal('digitalocean'),
  kind: z.literal('droplet'),
  providerId: z.string().min(1),
  name: z.string(),
  region: z.string(),
  size_slug: z.string(),
  status: z.string(),
  tags: z.array(z.string()),
  attrs: z.record(z.string(), z.unknown()),
});
export type ResourceState = z.infer<typeof resourceStateSchema>;

export const fieldChangeSchema = z.object({ field: z.string().min(1), before: z.unknown(), after: z.unknown() });
export type FieldChange = z.infer<typeof fieldChangeSchema>;

/** A droplet as the inventory sees it: columns for the common fields, the rest in attrs. */
export function observeDroplet(droplet: Droplet): ResourceState {
  return {
    provider: 'digitalocean',
    kind: 'droplet',
    providerId: String(droplet.id),
    name: droplet.name,
    region: droplet.region,
    size_slug: droplet.size_slug,
    status: droplet.status,
    tags: [...droplet.tags].sort(),
    attrs: { image: droplet.image, public_ipv4: droplet.public_ipv4, created_at: droplet.created_at },
  };
}

export const isManaged = (tags: readonly string[]): boolean => tags.includes(MANAGED_TAG);

const isResourceField = (field: string): field is ResourceField => (RESOURCE_FIELDS as readonly string[]).includes(field);

/** A field's value: a column first, then attrs (the same rule drift detection resolves by). */
export function fieldValue(state: Pick<ResourceState, ResourceField | 'attrs'>, field: string): unknown {
  // own keys only: a field named `constructor` or `toString` is not on the resource
  if (isResourceField(field)) return state[field];
  return Object.hasOwn(state.attrs, field) ? state.attrs[field] : undefined;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** What changed between two observations of one resource; empty when nothing did. */
export function diffResource(before: ResourceState, after: ResourceState): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of RESOURCE_FIELDS) {
    if (!same(before[field], after[field])) changes.push({ field, before: before[field], after: after[field] });
  }
  const keys = [...new Set([...Object.keys(before.attrs), ...Object.keys(after.attrs)])].sort();
  for (const key of keys) {
    if (!same(before.attrs[key], after.attrs[key])) changes.push({ field: key, before: before.attrs[key] ?? null, after: after.attrs[key] ?? null });
  }
  return changes;
}

/** The state after `changes` (as diffResource wrote them). */
export function applyChanges(state: ResourceState, changes: readonly FieldChange[]): ResourceState {
  let next: ResourceState = { ...state, attrs: { ...state.attrs } };
  for (const { field, after } of changes) {
    if (isResourceField(field)) next = { ...next, [field]: after };
    else next.attrs[field] = after;
  }
  return next;
}
