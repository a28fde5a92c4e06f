import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { roleAtLeast } from '../../domain/access/roles.js';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';
import { currentRequest } from './request-context.js';

/**
 * Fails closed: a route must declare its role with @ApiRoute, else nobody may call it. The caller
 * was authenticated before the body was read (edge.middleware); here a missing or unknown token is
 * 401, a role too weak 403 naming the role needed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    if (!spec) throw new ForbiddenException({ error: 'forbidden', message: 'this route declares no access rule' });
    if (spec.role === 'public') return true;

    const request = currentRequest();
    const principal = request?.principal;
    if (!principal) {
      const message = request?.authFailure === 'unknown' ? 'the token is unknown, revoked or expired' : 'a bearer token is required';
      throw new UnauthorizedException({ error: 'unauthorized', message, requiredRole: spec.role });
    }
    if (!roleAtLeast(principal.role, spec.role)) {
      throw new ForbiddenException({
        error: 'forbidden',
        message: `this needs the ${spec.role} role; the token has ${principal.role}`,
        requiredRole: spec.role,
        tokenRole: principal.role,
      });
    }
    return true;
  }
}
