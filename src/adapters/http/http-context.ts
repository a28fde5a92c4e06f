import type { DispatchContext } from '../dispatch/dispatch-context.js';
import { currentRequest } from './request-context.js';

/**
 * The request being served as a dispatch context: the token's name, id and role, the request's
 * correlation and id, and the Idempotency-Key when the route honours one and it was sent.
 */
export function httpContext(): DispatchContext {
  const request = currentRequest();
  const principal = request?.principal;
  if (!principal) throw new Error('httpContext() on a request without a principal: the route must declare a role');
  return {
    actor: principal.name,
    actorId: principal.tokenId,
    role: principal.role,
    correlationId: request.correlationId,
    causationId: request.requestId,
    ...(request.idempotencyKey === undefined ? {} : { idempotency: { principalId: principal.tokenId, key: request.idempotencyKey, onReplayed: request.markReplayed } }),
  };
}
