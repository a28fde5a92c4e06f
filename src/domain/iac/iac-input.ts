import { z } from 'zod';
import { type IacLockRequest, iacLockRequestSchema, type LockCaller, lockIdSchema, lockTtlSchema } from './iac-lock.js';
import {
  type IacStateFilter,
  iacStateFilterSchema,
  type IacStateRecordInput,
  iacStateRecordInputSchema,
  type ParsedIacStateFilter,
  resourceIdSchema,
  toFieldIssues,
} from './iac-state.js';
import { type IacCallContext, type IacPage, InvalidIacRequest, InvalidStateRecord } from './iac-state-store.port.js';
import { eventMetadataSchema } from '../events/event-envelope.js';

/**
 * Every backend checks its arguments with these before touching storage, so bad input is refused
 * the same way everywhere and nothing is written.
 */

export function parseRecord(input: unknown): IacStateRecordInput {
  const parsed = iacStateRecordInputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidStateRecord(toFieldIssues(parsed.error));
  return parsed.data;
}

export function parseResourceId(resourceId: unknown): string {
  return parseArgument(resourceIdSchema, resourceId, 'resourceId');
}

export function parseLockId(lockId: unknown): string {
  return parseArgument(lockIdSchema, lockId, 'lockId');
}

/** A write's lock id: absent (or empty) when the caller holds no lock. */
export function parseWriteLockId(lockId: unknown): string | null {
  return lockId === undefined || lockId === null || lockId === '' ? null : parseLockId(lockId);
}

export function parseLockRequest(request: IacLockRequest): z.output<typeof iacLockRequestSchema> {
  return parseArgument(iacLockRequestSchema, request);
}

export function parseTtl(ttlSeconds: unknown): number | null {
  return parseArgument(lockTtlSchema, ttlSeconds, 'ttlSeconds') ?? null;
}

export function parseFilter(filter: IacStateFilter | undefined): ParsedIacStateFilter {
  return parseArgument(iacStateFilterSchema, filter);
}

const pageSchema = z
  .strictObject({ limit: z.number().int().min(1).optional(), after: resourceIdSchema.optional() })
  .optional()
  .transform((page) => page ?? {});

/** A list's page: a limit of at least 1 and the resource id it continues after (both optional). */
export function parsePage(page: IacPage | undefined): { readonly limit?: number; readonly after?: string } {
  return parseArgument(pageSchema, page, 'page');
}

export function parseContext(context: IacCallContext): IacCallContext {
  const schema = eventMetadataSchema.pick({ actor: true, actorId: true }).extend({
    correlationId: eventMetadataSchema.shape.correlationId.optional(),
    causationId: eventMetadataSchema.shape.causationId.optional(),
  });
  return parseArgument(schema, context, 'context');
}

/** The caller a lock command names: the actor, by id when the context has one. */
export function callerOf(context: IacCallContext): LockCaller {
  return { who: context.actor, whoId: context.actorId ?? null };
}

function parseArgument<S extends z.ZodType>(schema: S, value: unknown, at?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidIacRequest(
      toFieldIssues(parsed.error).map((issue) => ({ ...issue, path: [at, issue.path].filter(Boolean).join('.') })),
    );
  }
  return parsed.data;
}
