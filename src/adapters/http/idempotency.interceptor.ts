import { type CallHandler, type ExecutionContext, HttpStatus, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { IdempotentRequestInProgress } from '../../domain/idempotency/idempotency.decider.js';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';
import { commandContext } from './command-context.js';
import { currentRequest } from './request-context.js';

export const IDEMPOTENT_COMMANDS = Symbol('IdempotentCommands');

/**
 * `Idempotency-Key` on the routes that start work (@ApiRoute `idempotent`): runs the handler under
 * the key (IdempotentCommands), or answers with the first request's answer again and
 * `Idempotent-Replayed: true`. Runs after validation, so a request that does not validate claims
 * nothing. Without the header, or on other routes, it does nothing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(IDEMPOTENT_COMMANDS) private readonly commands: IdempotentCommands,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.header('idempotency-key');
    const requestContext = currentRequest();
    if (!spec?.idempotent || header === undefined || !requestContext?.principal) return next.handle();
    const key = IdempotentCommands.parseKey(header);
    const response = context.switchToHttp().getResponse<Response>();
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    return from(
      this.commands
        .run(
          { principalId: requestContext.principal.tokenId, key, method: request.method, path: request.path, body: request.body },
          commandContext(),
          async (seed) => {
            requestContext.idempotencySeed = seed;
            return { status, body: await lastValueFrom(next.handle(), { defaultValue: null }) };
          },
        )
        .then(
          ({ response: answer, replayed }) => {
            if (replayed) response.setHeader('idempotent-replayed', 'true');
            return answer.body;
          },
          (error: unknown) => {
            if (error instanceof IdempotentRequestInProgress) response.setHeader('retry-after', '1');
            throw error;
          },
        ),
    );
  }
}
