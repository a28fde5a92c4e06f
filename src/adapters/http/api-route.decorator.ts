import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { z } from 'zod';
import type { Role } from '../../domain/access/roles.js';

/**
 * Everything the edge needs to know about one endpoint, declared once on its handler: who may call
 * it, what it accepts (zod, validated before the handler runs) and what it answers. The guard, the
 * validation and the OpenAPI document all read this; a handler without it is refused.
 */
export interface ApiRouteSpec {
  readonly summary: string;
  /** The weakest role allowed, or 'public' for unauthenticated endpoints (health, docs). */
  readonly role: Role | 'public';
  readonly tags?: readonly string[];
  /**
   * The route starts work: it honours an `Idempotency-Key` header (the same principal, key and
   * request within 24 hours gets the first answer again, with `Idempotent-Replayed: true`).
   */
  readonly idempotent?: boolean;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Status → description and optional body schema. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}

export const API_ROUTE = 'cloudledger:api-route';

export function ApiRoute(spec: ApiRouteSpec): MethodDecorator {
  return applyDecorators(SetMetadata(API_ROUTE, spec));
}
