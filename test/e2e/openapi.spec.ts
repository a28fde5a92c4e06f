import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestApp, type TestApp } from '../support/app.js';

describe('the OpenAPI document', () => {
  let app: TestApp;
  let document: { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; 'x-required-role'?: string }>> };

  beforeAll(async () => {
    app = await startTestApp();
    const response = await app.request('GET', '/docs/openapi.json');
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });
  afterAll(async () => {
    app.expectLogsClean();
    await app.close();
  });

  it('validates as OpenAPI 3', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
  });

  it('lists every route with its access rule', () => {
    for (const route of app.server.routes) {
      const operation = document.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];
      expect([route.method, route.path, operation !== undefined]).toEqual([route.method, route.path, true]);
      if (route.spec?.role === 'public') expect(operation!.security).toEqual([]);
      else expect(operation!['x-required-role']).toBe(route.spec!.role);
    }
  });

  it('serves the UI at /docs', async () => {
    const page = await app.request('GET', '/docs');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/docs/openapi.json');
    const script = await app.request('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
  });
});
