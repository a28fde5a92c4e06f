import { z } from 'zod';

export const eventMetadataSchema = z.object({
  /** The request or saga the event belongs to. */
  correlationId: z.string().min(1),
  /** The event or command that caused this one. */
  causationId: z.string().min(1).nullable(),
  /** The API token name, or a system actor such as "system:sync". */
  actor: z.string().min(1),
  /** The actor's id when it has one (the API token's id): names can be reused, ids cannot. */
  actorId: z.string().min(1).max(128).optional(),
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
