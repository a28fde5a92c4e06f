import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import type { ApiTokenService } from '../auth/api-token.service.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';
import { currentRequest } from './request-context.js';

/**
 * What runs on every request before Nest routes it, in this order: the limit per client address
 * (so bad and missing tokens are counted too), authentication (who is calling; the route's guard
 * decides whether that is enough), then the body — parsed only for an authenticated caller, so an
 * anonymous request never makes the service read a large body.
 */

/** Health checks come from orchestrators, often and from one address: not limited. */
const UNLIMITED = /^\/health\//;

/** Requests per minute per client address (`req.ip`: the socket's peer, or the proxy's client with TRUST_PROXY). */
export function addressRateLimit(limit: number): RequestHandler {
  const limiter = new FixedWindowLimiter(limit);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (UNLIMITED.test(req.path)) return next();
    const taken = limiter.take(req.ip ?? 'unknown');
    if (taken.allowed) return next();
    res
      .status(429)
      .setHeader('retry-after', String(taken.retryAfterSeconds))
      .json({ error: 'rate_limited', message: 'too many requests from this address; retry later', requestId: currentRequest()?.requestId });
  };
}

/**
 * Resolves a bearer token to its principal and keeps it on the request context. A missing,
 * unknown, revoked or expired token leaves no principal; the auth guard answers 401 on routes that
 * need one, saying which.
 */
export function authenticate(tokens: ApiTokenService): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const context = currentRequest();
    const header = req.header('authorization');
    if (!context || header === undefined) return next();
    const match = /^Bearer\s+(\S{1,512})$/i.exec(header);
    if (!match) {
      context.authFailure = 'malformed';
      return next();
    }
    tokens.verify(match[1]!).then((principal) => {
      if (principal) context.principal = principal;
      else context.authFailure = 'unknown';
      next();
    }, next);
  };
}

/** JSON bodies up to `limit` bytes, for authenticated callers only. */
export function parseBody(limit: number): RequestHandler {
  const json = express.json({ limit });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (currentRequest()?.principal) return json(req, res, next);
    next();
  };
}
