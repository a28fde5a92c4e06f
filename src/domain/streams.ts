/** Stream names are `<category>-<id>`; one helper per category so no name is spelled twice. */
export const toSagaStream = (sagaId: string): string => `saga-${sagaId}`;
export const toResourceStream = (resourceId: string): string => `resource-${resourceId}`;
export const toSpecStream = (resourceId: string): string => `spec-${resourceId}`;
export const toIacStream = (resourceId: string): string => `iac-${resourceId}`;

export const STREAM_CATEGORIES = ['saga', 'resource', 'spec', 'iac'] as const;
export type StreamCategory = (typeof STREAM_CATEGORIES)[number];

export const categoryPrefix = (category: StreamCategory): string => `${category}-`;
