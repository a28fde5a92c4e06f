import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import type { DiscoveryService, Reflector } from '@nestjs/core';
import { z } from 'zod';
import { API_ROUTE, type ApiRouteSpec } from './api-route.decorator.js';

export interface DiscoveredRoute {
  readonly method: string;
  /** Express form: `/api/v1/iac/states/:resourceId`. */
  readonly path: string;
  readonly spec: ApiRouteSpec | undefined;
}

/** Every handler Nest routes, with its @ApiRoute spec (undefined when it declares none). */
export function discoverRoutes(discovery: DiscoveryService, reflector: Reflector): DiscoveredRoute[] {
  const routes: DiscoveredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!type) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
    for (const key of Object.getOwnPropertyNames(type.prototype)) {
      const handler = (type.prototype as Record<string, unknown>)[key];
      if (key === 'constructor' || typeof handler !== 'function') continue;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const full = `/${[base, path].map((p) => p.replace(/^\/|\/$/g, '')).filter(Boolean).join('/')}`;
      routes.push({ method: RequestMethod[method]!.toLowerCase(), path: full, spec: reflector.get<ApiRouteSpec | undefined>(API_ROUTE, handler as () => void) });
    }
  }
  return routes;
}

/**
 * JSON Schema for an OpenAPI document. zod puts shared and recursive parts under `$defs` with
 * refs relative to the schema's root; inside a document they move to `components/schemas` (named
 * uniquely) and their refs are rewritten to point there.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, $defs, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  const renamed = new Map<string, string>();
  for (const name of Object.keys(($defs as Record<string, unknown> | undefined) ?? {})) {
    renamed.set(`#/$defs/${name}`, `#/components/schemas/S${Object.keys(components).length + renamed.size}`);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? (renamed.get(inner) ?? inner) : rewrite(inner)]),
    );
  };
  for (const [name, definition] of Object.entries(($defs as Record<string, unknown> | undefined) ?? {})) {
    components[renamed.get(`#/$defs/${name}`)!.split('/').pop()!] = rewrite(definition);
  }
  return rewrite(rest) as Record<string, unknown>;
}

/** The OpenAPI 3.1 document, built from the same zod schemas that validate the requests. */
export function buildOpenApiDocument(routes: readonly DiscoveredRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const { method, path, spec } of routes) {
    if (!spec) continue;
    const openApiPath = path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...objectParameters(spec.params, 'path', schemas),
      ...objectParameters(spec.query, 'query', schemas),
      ...(spec.idempotent ? [IDEMPOTENCY_KEY_PARAMETER] : []),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output', schemas) } } } : {}),
      };
    }
    if (spec.role !== 'public') {
      responses['401'] ??= { description: 'missing, unknown or revoked token', content: { 'application/json': { schema: ERROR_SCHEMA } } };
      responses['403'] ??= { description: `the token's role is weaker than ${spec.role}`, content: { 'application/json': { schema: ERROR_SCHEMA } } };
      responses['429'] ??= { description: 'rate limited', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    }
    if (spec.idempotent) {
      for (const [status, response] of Object.entries(responses)) {
        if (status.startsWith('2')) responses[status] = { ...(response as object), headers: { 'Idempotent-Replayed': REPLAYED_HEADER } };
      }
      responses['409'] ??= { description: 'a request with this Idempotency-Key is still being processed: retry after `retry-after`', content: { 'application/json': { schema: ERROR_SCHEMA } } };
      responses['422'] ??= { description: 'this Idempotency-Key was used with another request (`idempotency_key_reused`)', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    }
    if (spec.body || spec.params || spec.query) {
      responses['400'] ??= { description: 'invalid input, with field-level issues', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    }
    (paths[openApiPath] ??= {})[method] = {
      summary: spec.summary,
      operationId: `${method}${openApiPath.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(spec.tags?.length ? { tags: spec.tags } : {}),
      ...(spec.role === 'public' ? { security: [] } : { security: [{ bearer: [] }], 'x-required-role': spec.role }),
      ...(parameters.length ? { parameters } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input', schemas) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cloudledger',
      version,
      description: 'Event-sourced control plane for DigitalOcean infrastructure. Bearer API tokens; roles viewer < operator < platform_admin (`x-required-role` on each operation).',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    security: [{ bearer: [] }],
    paths,
  };
}

const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the request safe to retry (IETF httpapi Idempotency-Key draft): the same principal, key, method, path and body within 24 hours gets the first answer again, with `Idempotent-Replayed: true`, and starts nothing; the same key with another request is 422 `idempotency_key_reused`. 1-255 printable ASCII characters, bare or as a quoted string.',
  schema: { type: 'string', minLength: 1, maxLength: 257 },
};

const REPLAYED_HEADER = { description: '`true` when this is the answer to an earlier request with the same Idempotency-Key (nothing ran)', schema: { type: 'string', enum: ['true'] } };

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    requestId: { type: 'string' },
    issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
    requiredRole: { type: 'string' },
  },
};

function objectParameters(schema: z.ZodObject | undefined, where: 'path' | 'query', components: Record<string, unknown>): Record<string, unknown>[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input', components) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}
