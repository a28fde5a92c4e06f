import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../auth/api-token.service.js';

export interface RequestContext {
  readonly requestId: string;
  /** From the caller's `x-correlation-id`, else the request id: ties the events a request causes together. */
  readonly correlationId: string;
  /** Who is calling, once the bearer token was verified. */
  principal?: Principal;
  /** Why a bearer token sent gave no principal: not a bearer header, or unknown, revoked or expired. */
  authFailure?: 'malformed' | 'unknown';
  /** The Idempotency-Key sent to a route that honours one, checked (ValidationInterceptor). */
  idempotencyKey?: string;
  /** Marks the response as the first request's, replayed (`Idempotent-Replayed: true`). */
  readonly markReplayed: () => void;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being served, if any: log lines and event metadata read it. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

const ID_PATTERN = /^[\w.:-]{1,128}$/;

/** First middleware: gives every request an id (kept from `x-request-id` when sane) and a context. */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  const requestId = given && ID_PATTERN.test(given) ? given : randomUUID();
  const correlation = req.header('x-correlation-id');
  const context: RequestContext = {
    requestId,
    correlationId: correlation && ID_PATTERN.test(correlation) ? correlation : requestId,
    markReplayed: () => res.setHeader('idempotent-replayed', 'true'),
  };
  res.setHeader('x-request-id', requestId);
  storage.run(context, () => next());
}
