import { startTestApp, type TestApp } from '../support/app.js';

describe('errors, limits and metrics', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ BODY_LIMIT_BYTES: '2048', RATE_LIMIT_PER_MINUTE: '40', METRICS_PORT: '0' });
  });
  afterAll(async () => {
    app.expectLogsClean();
    await app.close();
  });

  it('answers an unknown route with a JSON 404 and a request id', async () => {
    const response = await app.request('GET', '/api/v1/nothing-here', { token: app.tokens.viewer });
    expect(response.status).toBe(404);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'not_found' });
    expect(body.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('answers 413 to a body over the limit and 400 to malformed JSON, never 500', async () => {
    const big = await app.request('POST', '/api/v1/anything', { token: app.tokens.operator, body: { blob: 'x'.repeat(4096) } });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_too_large' });
    const broken = await app.request('POST', '/api/v1/anything', { token: app.tokens.operator, rawBody: '{"a":' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: 'invalid_json' });
  });

  it('keeps the request id a caller sends, and makes one otherwise', async () => {
    const given = await app.request('GET', '/health/live', { headers: { 'x-request-id': 'req-123' } });
    expect(given.headers.get('x-request-id')).toBe('req-123');
    const made = await app.request('GET', '/health/live');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exports Prometheus metrics by route template, to a viewer token', async () => {
    await app.request('GET', '/health/ready');
    const response = await app.request('GET', '/metrics', { token: app.tokens.viewer });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health\/ready",status="200"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('event_store_append_duration_seconds');
    expect(text).toContain('sagas_total');
    expect(text).toContain('digitalocean_api_calls_total');
  });

  it('also serves the metrics without a token on METRICS_PORT', async () => {
    expect(app.server.metricsUrl).toBeDefined();
    const response = await fetch(app.server.metricsUrl!);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('http_requests_total');
  });

  it('writes JSON log lines that carry the request id', async () => {
    const response = await app.request('GET', '/health/ready', { headers: { 'x-request-id': 'trace-me-42', 'x-correlation-id': 'corr-7' } });
    expect(response.status).toBe(200);
    const lines = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === 'trace-me-42');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.correlationId === 'corr-7')).toBe(true);
  });

  it('rate-limits per token: 429 past the limit, while another token still gets through', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await app.request('GET', '/metrics', { token: app.tokens.operator })).status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(429);
    const limited = await app.request('GET', '/metrics', { token: app.tokens.operator });
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    expect((await app.request('GET', '/metrics', { token: app.tokens.platform_admin })).status).toBe(200);
  });
});
