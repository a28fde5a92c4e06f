import { z } from 'zod';
import type { EventOf } from '../decider.js';
import { defineEvent } from '../events/event-registry.js';
import { legacyStepMemory } from './legacy-step-notes.js';

/**
 * The events of a `saga-<sagaId>` stream. Each carries the saga id (projections key on it) and its
 * own time `at`, so read models and the workflow need no recordedAt. Steps are named by their index
 * in the definition (`step`) and by `name`.
 */

const instant = z.iso.datetime({ offset: true });
const sagaId = z.string().min(1).max(128);
const step = z.number().int().min(0);
const attempt = z.number().int().min(1);
const name = z.string().min(1).max(128);

export const SagaStarted = defineEvent({
  type: 'SagaStarted',
  schemaVersion: 1,
  schema: z.object({
    sagaId,
    kind: z.string().min(1),
    definition: z.string().min(1),
    version: z.number().int().min(1),
    /** The step names, in order, as the definition resolved them for these inputs. */
    steps: z.array(name).min(1),
    inputs: z.record(z.string(), z.unknown()),
    deploymentId: z.string().min(1).nullable(),
    triggeredBy: z.string().min(1),
    at: instant,
  }),
});

export const StepStarted = defineEvent({
  type: 'StepStarted',
  schemaVersion: 1,
  schema: z.object({ sagaId, step, name, attempt, at: instant }),
});

export const StepSucceeded = defineEvent({
  type: 'StepSucceeded',
  schemaVersion: 1,
  schema: z.object({
    sagaId,
    step,
    name,
    attempt,
    output: z.unknown(),
    /** Set when the step failed and its error handler chose to go on: the error it ignored. */
    ignoredError: z.string().nullable().default(null),
    at: instant,
  }),
});

/** What a step remembers between its looks: its own typed memory (its `memory` schema), null when none. */
const memory = z.unknown().nullable().default(null);

/**
 * The step polls: nothing failed, it wants to run again at `dueAt` without holding a worker. `note`
 * is for people; what the step's next look needs is its `memory`. Version 1 had no memory: the
 * droplet steps kept it in the note, which the upcaster turns into memory (legacy-step-notes.ts).
 */
export const StepWaiting = defineEvent({
  type: 'StepWaiting',
  schemaVersion: 2,
  schema: z.object({ sagaId, step, name, attempt, dueAt: instant, note: z.string(), memory, at: instant }),
  upcasters: {
    1: (data) => {
      const v1 = data as { name?: unknown; note?: unknown };
      return { ...(data as object), memory: typeof v1.name === 'string' && typeof v1.note === 'string' ? legacyStepMemory(v1.name, v1.note) : null };
    },
  },
});

export const StepFailed = defineEvent({
  type: 'StepFailed',
  schemaVersion: 2,
  schema: z.object({
    sagaId,
    step,
    name,
    attempt,
    error: z.string(),
    code: z.string(),
    willRetry: z.boolean(),
    /** When the next attempt is due (with willRetry), else null. */
    dueAt: instant.nullable(),
    /** What the step knew when it failed (its compensation gets it), null when nothing. */
    memory,
    at: instant,
  }),
  upcasters: { 1: (data) => ({ ...(data as object), memory: null }) },
});

export const CompensationStarted = defineEvent({
  type: 'CompensationStarted',
  schemaVersion: 1,
  schema: z.object({ sagaId, reason: z.string(), at: instant }),
});

export const StepCompensated = defineEvent({
  type: 'StepCompensated',
  schemaVersion: 1,
  schema: z.object({
    sagaId,
    step,
    name,
    attempt,
    /** The step has no compensation (e.g. a destroy-class step): nothing was run. */
    noop: z.boolean(),
    at: instant,
  }),
});

export const StepCompensationFailed = defineEvent({
  type: 'StepCompensationFailed',
  schemaVersion: 1,
  schema: z.object({
    sagaId,
    step,
    name,
    attempt,
    error: z.string(),
    /** When compensation is tried again; null when its attempts are exhausted. */
    dueAt: instant.nullable(),
    at: instant,
  }),
});

export const SagaCompleted = defineEvent({
  type: 'SagaCompleted',
  schemaVersion: 1,
  schema: z.object({ sagaId, at: instant }),
});

export const SagaRolledBack = defineEvent({
  type: 'SagaRolledBack',
  schemaVersion: 1,
  schema: z.object({ sagaId, reason: z.string(), at: instant }),
});

export const SagaCancelRequested = defineEvent({
  type: 'SagaCancelRequested',
  schemaVersion: 1,
  schema: z.object({ sagaId, by: z.string().min(1), reason: z.string().min(1).max(1024).optional(), at: instant }),
});

export const SagaCancelled = defineEvent({
  type: 'SagaCancelled',
  schemaVersion: 1,
  schema: z.object({ sagaId, at: instant }),
});

/** Compensation exhausted its attempts: the saga stays visible as failed and needs an operator. */
export const SagaFailed = defineEvent({
  type: 'SagaFailed',
  schemaVersion: 1,
  schema: z.object({ sagaId, reason: z.string(), at: instant }),
});

/**
 * An operator asks a failed saga to try its compensation again (after fixing what made it fail):
 * the saga is compensating again, and each exhausted compensation gets a fresh set of attempts.
 */
export const CompensationRetryRequested = defineEvent({
  type: 'CompensationRetryRequested',
  schemaVersion: 1,
  schema: z.object({ sagaId, by: z.string().min(1), at: instant }),
});

/**
 * A worker found no definition for the saga (`definition@version` is not registered in its
 * deployment): the saga shows as stuck with the reason, instead of being retried in silence. A
 * worker that knows the definition goes on with it, which clears the mark.
 */
export const SagaStuck = defineEvent({
  type: 'SagaStuck',
  schemaVersion: 1,
  schema: z.object({ sagaId, reason: z.string(), at: instant }),
});

export const sagaEvents = [
  SagaStarted,
  StepStarted,
  StepSucceeded,
  StepWaiting,
  StepFailed,
  CompensationStarted,
  StepCompensated,
  StepCompensationFailed,
  SagaCompleted,
  SagaRolledBack,
  SagaCancelRequested,
  SagaCancelled,
  SagaFailed,
  CompensationRetryRequested,
  SagaStuck,
] as const;

export type SagaEvent = EventOf<typeof sagaEvents>;

export type SagaEventType = SagaEvent['type'];
export type SagaEventOf<T extends SagaEventType> = Extract<SagaEvent, { type: T }>;

export const SAGA_EVENT_TYPES: readonly SagaEventType[] = sagaEvents.map((d) => d.type);

export function isSagaEvent(event: { readonly type: string; readonly data: unknown }): event is SagaEvent {
  return (SAGA_EVENT_TYPES as readonly string[]).includes(event.type);
}
