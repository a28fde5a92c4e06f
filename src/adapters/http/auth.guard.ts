import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { roleAtLeast } from '../../domain/access/roles.js';
import { ApiTokenService } from '../auth/api-token.service.js';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';
import { currentRequest } from './request-context.js';

/**
 * Fails closed: a route must declare its role with @ApiRoute, else nobody may call it. A missing
 * or unknown token is 401; a role too weak is 403 naming the role needed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    if (!spec) throw new ForbiddenException({ error: 'forbidden', message: 'this route declares no access rule' });
    if (spec.role === 'public') return true;

    const request = context.switchToHttp().getRequest<Request>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.header('authorization') ?? '');
    if (!match) {
      throw new UnauthorizedException({ error: 'unauthorized', message: 'a bearer token is required', requiredRole: spec.role });
    }
    const principal = await this.tokens.verify(match[1]!);
    if (!principal) throw new UnauthorizedException({ error: 'unauthorized', message: 'the token is unknown or revoked', requiredRole: spec.role });
    const requestContext = currentRequest();
    if (requestContext) requestContext.principal = principal;
    (request as Request & { principal?: unknown }).principal = principal;
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
