import type { ResourceField, ResourceState } from '../inventory/resource.js';
import { compareSpec, type Spec } from './drift-compare.js';

/**
 * What converging a resource on its spec takes, field by field: the plan a declared spec is answered
 * with, and what an apply does. A droplet's size and tags change in place; its region and image only
 * by replacing it, which cloudledger does not do on its own; any other field can only be accepted.
 */

export type Convergence = 'resize' | 'retag' | 'replace_required' | 'not_convergible';

export interface PlannedChange {
  readonly field: string;
  readonly desired: unknown;
  readonly live: unknown;
  readonly action: Convergence;
}

export interface ConvergencePlan {
  /** Every field of the spec agrees with the live resource. */
  readonly converged: boolean;
  readonly changes: readonly PlannedChange[];
  /** The fields an apply converges, in the order its saga does: size first, then tags. */
  readonly applicable: readonly ('size_slug' | 'tags')[];
}

const ACTION: Readonly<Record<string, Convergence>> = { size_slug: 'resize', tags: 'retag', region: 'replace_required', image: 'replace_required' };

export function convergencePlan(spec: Spec, live: Pick<ResourceState, ResourceField | 'attrs'>): ConvergencePlan {
  const changes = compareSpec(spec, live).map((m): PlannedChange => ({ field: m.field, desired: m.expected, live: m.actual, action: ACTION[m.field] ?? 'not_convergible' }));
  const applicable = (['size_slug', 'tags'] as const).filter((field) => changes.some((c) => c.field === field));
  return { converged: changes.length === 0, changes, applicable };
}
