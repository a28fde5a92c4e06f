import fc from 'fast-check';
import { z } from 'zod';
import { concretePath, startTestApp, type TestApp } from '../support/app.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; enum?: unknown[]; items?: JsonSchema };

/** Values that look like what a field wants, or nearly: the valid-looking bodies get past the first 400. */
function valueFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const junk = fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(''), fc.jsonValue({ maxDepth: 2 }));
  if (!schema) return junk;
  if (schema.enum?.length) return fc.oneof(fc.constantFrom(...schema.enum), junk);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('do:droplet:1', 'droplet', 'digitalocean', 'active'), junk);
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double(), junk);
    case 'boolean':
      return fc.oneof(fc.boolean(), junk);
    case 'array':
      return fc.oneof(fc.array(valueFor(schema.items), { maxLength: 4 }), junk);
    case 'object':
      return fc.oneof(shapedBody(schema), junk);
    default:
      return junk;
  }
}

function shapedBody(schema: JsonSchema): fc.Arbitrary<unknown> {
  const fields = Object.entries(schema.properties ?? {});
  return fc.record(Object.fromEntries(fields.map(([name, field]) => [name, valueFor(field)])), { requiredKeys: [] });
}

describe('fuzzing the command endpoints', () => {
  let app: TestApp;

  beforeAll(async () => {
    // no saga workers: a saga a valid body started would append in the background, and "a 4xx
    // writes nothing" is checked by counting events around each request
    app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1000000', SAGA_WORKERS: '0' });
  });
  afterAll(async () => {
    app.expectLogsClean();
    await app.close();
  });

  const eventCount = async (): Promise<number> => Number((await app.db.pool.query<{ n: string }>('select count(*) as n from events')).rows[0]!.n);

  it('finds command endpoints to fuzz', () => {
    const commands = app.server.routes.filter((r) => ['post', 'put', 'patch', 'delete'].includes(r.method) && r.spec?.body);
    expect(commands.length).toBeGreaterThan(0);
  });

  it('never answers 500, and writes nothing when it answers 4xx', async () => {
    const commands = app.server.routes.filter((r) => ['post', 'put', 'patch', 'delete'].includes(r.method) && r.spec?.body);
    for (const route of commands) {
      const bodySchema = z.toJSONSchema(route.spec!.body!, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
      const bodies = fc.oneof(shapedBody(bodySchema), fc.jsonValue({ maxDepth: 3 }), fc.string().map((s) => ({ raw: s })));
      await fc.assert(
        fc.asyncProperty(bodies, fc.constantFrom('do:droplet:1', 'x', 'a%2Fb', '%00', '..'), async (body, id) => {
          const path = concretePath(route.path).replace('do:droplet:1', id);
          const before = await eventCount();
          const response = await app.request(route.method, path, { token: app.tokens.platform_admin, body });
          const where = `${route.method.toUpperCase()} ${route.path} ${JSON.stringify(body).slice(0, 200)}`;
          expect([where, response.status >= 500]).toEqual([where, false]);
          if (response.status >= 400) expect([where, await eventCount()]).toEqual([where, before]);
        }),
        { numRuns: RUNS },
      );
    }
  });
});
