import { randomUUID } from 'node:crypto';
import type { Role } from '../../domain/access/roles.js';
import { currentRequest } from './request-context.js';

/**
 * Who and what caused a command: the token's name and id as actor, the request's correlation and
 * id, and — under an Idempotency-Key — the seed the command derives its ids from.
 */
export interface CommandContext {
  readonly actor: string;
  readonly actorId?: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly idempotencySeed?: string;
}

export function commandContext(): CommandContext {
  const request = currentRequest();
  return {
    actor: request?.principal?.name ?? 'anonymous',
    ...(request?.principal ? { actorId: request.principal.tokenId } : {}),
    correlationId: request?.correlationId ?? randomUUID(),
    causationId: request?.requestId ?? null,
    ...(request?.idempotencySeed ? { idempotencySeed: request.idempotencySeed } : {}),
  };
}

/** The authenticated caller's role (the guard has run: a route that needs one has a principal). */
export function caller(): { readonly role: Role } {
  const principal = currentRequest()?.principal;
  if (!principal) throw new Error('caller() on a request without a principal');
  return { role: principal.role };
}
