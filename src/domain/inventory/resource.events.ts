import { z } from 'zod';
import { defineEvent } from '../events/event-registry.js';
import { fieldChangeSchema, resourceStateSchema } from './resource.js';

/**
 * The events of a `resource-<resourceId>` stream: what the provider actually has. `source` says
 * who saw it — the inventory sync or a saga step (with its saga id); the actor is in the metadata.
 */

const instant = z.iso.datetime({ offset: true });
const resourceId = z.string().min(1).max(256);
export const observationSource = z.enum(['sync', 'saga']);
export type ObservationSource = z.infer<typeof observationSource>;
const sagaId = z.string().min(1).nullable();

/** First sight of a resource (or sight again after it was deleted): its whole state. */
export const ResourceObserved = defineEvent({
  type: 'ResourceObserved',
  schemaVersion: 1,
  schema: z.object({ resourceId, state: resourceStateSchema, source: observationSource, sagaId, at: instant }),
});

export const ResourceChanged = defineEvent({
  type: 'ResourceChanged',
  schemaVersion: 1,
  schema: z.object({ resourceId, changes: z.array(fieldChangeSchema).min(1), source: observationSource, sagaId, at: instant }),
});

export const ResourceDeleted = defineEvent({
  type: 'ResourceDeleted',
  schemaVersion: 1,
  schema: z.object({ resourceId, source: observationSource, sagaId, at: instant }),
});

export const resourceEvents = [ResourceObserved, ResourceChanged, ResourceDeleted] as const;
