import { z } from 'zod';
import { defineEvent } from '../events/event-registry.js';

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

/** The step polls: nothing failed, it wants to run again at `dueAt` without holding a worker. */
export const StepWaiting = defineEvent({
  type: 'StepWaiting',
  schemaVersion: 1,
  schema: z.object({ sagaId, step, name, attempt, dueAt: instant, note: z.string(), at: instant }),
});

export const StepFailed = defineEvent({
  type: 'StepFailed',
  schemaVersion: 1,
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
    at: instant,
  }),
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
  schema: z.object({ sagaId, by: z.string().min(1), at: instant }),
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
] as const;

type Of<D extends (typeof sagaEvents)[number]> = { readonly type: D['type']; readonly data: z.output<D['schema']> };

export type SagaEvent =
  | Of<typeof SagaStarted>
  | Of<typeof StepStarted>
  | Of<typeof StepSucceeded>
  | Of<typeof StepWaiting>
  | Of<typeof StepFailed>
  | Of<typeof CompensationStarted>
  | Of<typeof StepCompensated>
  | Of<typeof StepCompensationFailed>
  | Of<typeof SagaCompleted>
  | Of<typeof SagaRolledBack>
  | Of<typeof SagaCancelRequested>
  | Of<typeof SagaCancelled>
  | Of<typeof SagaFailed>;

export type SagaEventType = SagaEvent['type'];
export type SagaEventOf<T extends SagaEventType> = Extract<SagaEvent, { type: T }>;

export const SAGA_EVENT_TYPES: readonly SagaEventType[] = sagaEvents.map((d) => d.type);

export function isSagaEvent(event: { readonly type: string; readonly data: unknown }): event is SagaEvent {
  return (SAGA_EVENT_TYPES as readonly string[]).includes(event.type);
}
