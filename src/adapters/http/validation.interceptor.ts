import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { type FieldIssue, InvalidInput, toFieldIssues } from '../../domain/errors.js';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';
import { currentRequest } from './request-context.js';

/** Control characters: none in a path or query value; in a body only tab, line feed and carriage return (free text). */
const ANY_CONTROL = /[\p{Cc}]/u;
const CONTROL_BUT_WHITESPACE = /(?![\t\n\r])\p{Cc}/u;

/** The first string (or object key) holding a refused character, as a field issue. */
function controlCharacterIn(value: unknown, path: string, refused: RegExp): FieldIssue | null {
  if (typeof value === 'string') return refused.test(value) ? { path, message: 'must not contain NUL or other control characters' } : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (refused.test(key)) return { path, message: 'must not contain a key with NUL or other control characters' };
    const found = controlCharacterIn(inner, at, refused);
    if (found) return found;
  }
  return null;
}

/**
 * Validates params, query and body against the route's zod schemas and hands the handler parsed
 * values, and on a route that honours one, the Idempotency-Key header (kept in the request context
 * for the dispatch; a request that does not validate claims no key). Before that, strings with control characters are refused at the edge (NUL anywhere;
 * anything but tab and line breaks in a body, where free text may use them), so none reaches
 * PostgreSQL — which refuses NUL in text and jsonb — or the event store.
 */
@Injectable()
export class ValidationInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    const request = context.switchToHttp().getRequest<Request>();
    if (spec) {
      const controls = [
        controlCharacterIn(request.params, 'params', ANY_CONTROL),
        controlCharacterIn(request.query, 'query', ANY_CONTROL),
        controlCharacterIn(request.body, 'body', CONTROL_BUT_WHITESPACE),
      ].filter((issue): issue is FieldIssue => issue !== null);
      if (controls.length) throw new InvalidInput(controls);

      const issues: FieldIssue[] = [];
      const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T | undefined => {
        if (!schema) return undefined;
        const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
        if (result.success) return result.data;
        for (const issue of toFieldIssues(result.error)) issues.push({ path: issue.path ? `${where}.${issue.path}` : where, message: issue.message });
        return undefined;
      };
      const params = parse(spec.params, request.params, 'params');
      const query = parse(spec.query, request.query, 'query');
      const body = parse(spec.body, request.body, 'body');
      if (issues.length) throw new InvalidInput(issues);
      if (spec.params) request.params = params as Request['params'];
      if (spec.query) Object.defineProperty(request, 'query', { value: query, configurable: true, writable: true });
      if (spec.body) request.body = body;
      const key = request.header('idempotency-key');
      const context = currentRequest();
      if (spec.idempotent && key !== undefined && context) context.idempotencyKey = IdempotentCommands.parseKey(key);
    }
    return next.handle();
  }
}
