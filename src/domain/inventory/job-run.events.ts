import { z } from 'zod';
import type { EventOf } from '../decider.js';
import { defineEvent } from '../events/event-registry.js';

/**
 * The events of a `jobs-<job>` stream: one per run of a recurring job, so "when did the inventory
 * last look at the cloud" and "when was drift last judged" are facts in the log, not guesses from
 * what changed (a sync that finds nothing new appends nothing else).
 */

const instant = z.iso.datetime({ offset: true });
const count = z.number().int().min(0);

export const INVENTORY_SYNC_JOB = 'inventory_sync';
export const DRIFT_DETECTION_JOB = 'drift_detection';

export const InventorySyncRan = defineEvent({
  type: 'InventorySyncRan',
  schemaVersion: 1,
  schema: z.object({ listed: count, observed: count, changed: count, deleted: count, at: instant }),
});

/** `after_sync`: the resources a sync saw change; `sweep`: every spec. */
export const DriftDetectionRan = defineEvent({
  type: 'DriftDetectionRan',
  schemaVersion: 1,
  schema: z.object({ scope: z.enum(['sweep', 'after_sync']), checked: count, newDrift: count, resolvedStale: count, at: instant }),
});

export const jobRunEvents = [InventorySyncRan, DriftDetectionRan] as const;
export type JobRunEvent = EventOf<typeof jobRunEvents>;
