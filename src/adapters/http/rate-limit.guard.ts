import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';
import { currentRequest } from './request-context.js';

export const RATE_LIMIT_PER_MINUTE = Symbol('RateLimitPerMinute');

/**
 * Requests per minute per API token. Runs after the auth guard, so it knows the token; the limit
 * per client address (addressRateLimit) ran before authentication. Public routes are not limited here.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: FixedWindowLimiter;

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_PER_MINUTE) limit: number,
  ) {
    this.limiter = new FixedWindowLimiter(limit);
  }

  canActivate(context: ExecutionContext): boolean {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    const principal = currentRequest()?.principal;
    if (spec?.role === 'public' || !principal) return true;
    const taken = this.limiter.take(principal.tokenId);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('ratelimit-limit', String(taken.limit));
    response.setHeader('ratelimit-remaining', String(taken.remaining));
    if (taken.allowed) return true;
    response.setHeader('retry-after', String(taken.retryAfterSeconds));
    throw new HttpException('rate limited', HttpStatus.TOO_MANY_REQUESTS);
  }
}
