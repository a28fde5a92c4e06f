/** Stream names are `<category>-<id>`; one helper per category so no name is spelled twice. */
export const toSagaStream = (sagaId: string): string => `saga-${sagaId}`;
export const toResourceStream = (resourceId: string): string => `resource-${resourceId}`;
export const toSpecStream = (resourceId: string): string => `spec-${resourceId}`;
export const toIacStream = (resourceId: string): string => `iac-${resourceId}`;
/** One drift ignore policy. */
export const toPolicyStream = (policyId: string): string => `policy-${policyId}`;
/** One principal's Idempotency-Key: `keyHash` is a hash of both, so no key reaches a stream name. */
export const toIdempotencyStream = (keyHash: string): string => `idempotency-${keyHash}`;

/** One recurring job's runs (`inventory_sync`, `drift_detection`). */
export const toJobStream = (job: string): string => `jobs-${job}`;

export const STREAM_CATEGORIES = ['saga', 'resource', 'spec', 'iac', 'idempotency', 'policy', 'jobs'] as const;
export type StreamCategory = (typeof STREAM_CATEGORIES)[number];

export const categoryPrefix = (category: StreamCategory): string => `${category}-`;
