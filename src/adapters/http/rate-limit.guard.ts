import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';

export const RATE_LIMIT_PER_MINUTE = Symbol('RateLimitPerMinute');

const WINDOW_MS = 60_000;

/**
 * Requests per minute per API token (per address before a token is known), in fixed one-minute
 * windows held in this process. Runs after the auth guard, so it knows the token. Public routes
 * (health, docs) are not limited. Each instance limits on its own: N instances allow N × the limit.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_PER_MINUTE) private readonly limit: number,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    if (spec?.role === 'public') return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: { tokenId: string } }>();
    const key = request.principal ? `token:${request.principal.tokenId}` : `ip:${request.ip}`;
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      if (this.windows.size > 10_000) this.forgetExpired(now);
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('ratelimit-limit', String(this.limit));
    response.setHeader('ratelimit-remaining', String(Math.max(0, this.limit - window.count)));
    if (window.count <= this.limit) return true;
    response.setHeader('retry-after', String(Math.ceil((window.startedAt + WINDOW_MS - now) / 1000)));
    throw new HttpException('rate limited', HttpStatus.TOO_MANY_REQUESTS);
  }

  private forgetExpired(now: number): void {
    for (const [key, window] of this.windows) if (now - window.startedAt >= WINDOW_MS) this.windows.delete(key);
  }
}
