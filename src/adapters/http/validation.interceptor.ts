import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import { type FieldIssue, InvalidInput, toFieldIssues } from '../../domain/errors.js';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';

/** Validates params, query and body against the route's zod schemas and hands the handler parsed values. */
@Injectable()
export class ValidationInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<ApiRouteSpec | undefined>(API_ROUTE, context.getHandler());
    const request = context.switchToHttp().getRequest<Request>();
    if (spec) {
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
    }
    return next.handle();
  }
}
