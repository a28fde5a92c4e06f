import { z } from 'zod';

/**
 * A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * version, trace id, parent (span) id, flags, in lower-case hex; the all-zero ids are invalid.
 */
export const TRACEPARENT_PATTERN = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export const eventMetadataSchema = z.object({
  /** The request or saga the event belongs to. */
  correlationId: z.string().min(1),
  /** The event or command that caused this one. */
  causationId: z.string().min(1).nullable(),
  /** The API token name, or a system actor such as "system:sync". */
  actor: z.string().min(1),
  /** The actor's id when it has one (the API token's id): names can be reused, ids cannot. */
  actorId: z.string().min(1).max(128).optional(),
  /**
   * The trace of the span that appended the event, when tracing was on: the next saga step links
   * back to it, across processes and restarts. A hint, never a reason to stop reading: one that
   * does not parse reads as absent.
   */
  traceparent: z.string().regex(TRACEPARENT_PATTERN).optional().catch(undefined),
  schemaVersion: z.number().int().positive(),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** A decoded event: its type, its data in the current schema version, and where it stands. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
  readonly stream: string;
  readonly revision: bigint;
}
