import { randomUUID } from 'node:crypto';
import { currentRequest } from './request-context.js';

/** Who and what caused a command: the token's name as actor, the request's correlation and id. */
export interface CommandContext {
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
}

export function commandContext(): CommandContext {
  const request = currentRequest();
  return {
    actor: request?.principal?.name ?? 'anonymous',
    correlationId: request?.correlationId ?? randomUUID(),
    causationId: request?.requestId ?? null,
  };
}
