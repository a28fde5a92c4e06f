import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DigitalOceanClient } from '../../src/adapters/cloud/digitalocean/digitalocean.client.js';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { Metrics } from '../../src/adapters/metrics/metrics.js';
import { CloudApiError } from '../../src/domain/cloud/cloud.port.js';

const TOKEN = 'dop_v1_secret-token-that-must-never-leak';
const ZERO = { dropletActiveMs: 0, actionMs: 0, snapshotAppearMs: 0, snapshotLingerMs: 0, tagListLagMs: 0 };

describe('DigitalOcean client against the simulator', () => {
  let sim: RunningSimulator;
  let metrics: Metrics;
  let sleeps: number[];
  let client: DigitalOceanClient;
  const control = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${sim.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    sim = await startSimulator({ delays: ZERO, linksDropQuery: true });
  });
  beforeEach(async () => {
    await control('POST', '/_sim/reset');
    metrics = new Metrics();
    sleeps = [];
    client = new DigitalOceanClient({ baseUrl: sim.url, token: TOKEN, purpose: 'sync', metrics, maxRetries: 3, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
  });
  afterAll(() => sim.close());

  it('creates, reads, acts on, snapshots and destroys a droplet', async () => {
    const droplet = await client.createDroplet({ name: 'web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['saga:1'] });
    expect(droplet).toMatchObject({ name: 'web-1', status: 'new', region: 'nyc3', size_slug: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['saga:1'], public_ipv4: null });
    const live = await client.getDroplet(droplet.id);
    expect(live).toMatchObject({ status: 'active', public_ipv4: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/), locked: false });
    const off = await client.dropletAction(droplet.id, { type: 'power_off' });
    expect(off).toMatchObject({ type: 'power_off', resource_id: droplet.id });
    expect((await client.getAction(off.id)).status).toBe('completed');
    const resize = await client.dropletAction(droplet.id, { type: 'resize', size: 's-2vcpu-4gb' });
    expect((await client.getAction(resize.id)).status).toBe('completed');
    expect((await client.getDroplet(droplet.id))?.size_slug).toBe('s-2vcpu-4gb');
    await client.dropletAction(droplet.id, { type: 'snapshot', name: 'snap' });
    const [snapshot] = await client.listDropletSnapshots(droplet.id);
    expect(snapshot).toMatchObject({ name: 'snap', regions: ['nyc3'] });
    await client.deleteSnapshot(snapshot!.id);
    await client.deleteSnapshot(snapshot!.id); // 404: already gone
    await client.destroyDroplet(droplet.id);
    await client.destroyDroplet(droplet.id); // 404: already gone
    expect(await client.getDroplet(droplet.id)).toBeNull();
  });

  it('pages through 450 droplets with the tag filter on every page', async () => {
    for (let i = 0; i < 450; i++) await control('POST', '/_sim/droplets', { name: `d-${i}`, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['fleet'] });
    for (let i = 0; i < 30; i++) await control('POST', '/_sim/droplets', { name: `other-${i}`, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['other'] });
    const droplets = await client.listDroplets({ tag: 'fleet' });
    expect(droplets).toHaveLength(450);
    expect(new Set(droplets.map((d) => d.id)).size).toBe(450);
    expect(droplets.every((d) => d.tags.includes('fleet'))).toBe(true);
    const pages = sim.state.requests.filter((r) => r.path === '/v2/droplets');
    expect(pages.map((r) => r.query)).toEqual([
      { per_page: '200', tag_name: 'fleet' },
      { page: '2', per_page: '200', tag_name: 'fleet' },
      { page: '3', per_page: '200', tag_name: 'fleet' },
    ]);
    expect(await client.listDroplets()).toHaveLength(480);
  });

  it('honours retry-after on a 429', async () => {
    await control('PUT', '/_sim/faults', { burst429: 2, retryAfterSeconds: 3 });
    expect(await client.listDroplets()).toEqual([]);
    expect(sleeps).toEqual([3000, 3000]);
    expect(await metrics.registry.getSingleMetricAsString('digitalocean_api_calls_total')).toContain('status="429"');
  });

  it('waits until ratelimit-reset on a 429 without retry-after', async () => {
    await control('PUT', '/_sim/faults', { burst429: 1, retryAfterSeconds: null });
    const now = Date.now();
    const timed = new DigitalOceanClient({ baseUrl: sim.url, token: TOKEN, purpose: 'sync', sleep: async (ms) => void sleeps.push(ms), now: () => now, maxDelayMs: 10 * 3_600_000 });
    await timed.listDroplets();
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(0);
    expect(sleeps[0]).toBeLessThanOrEqual(3_600_000 + 1000);
  });

  it('retries a GET through 5xx, then succeeds; gives up after maxRetries with a typed error', async () => {
    await control('PUT', '/_sim/faults', { burst5xx: 2 });
    expect(await client.listDroplets()).toEqual([]);
    expect(sleeps).toEqual([375, 750]); // capped exponential backoff, half of it jitter (random() = 0.5 here)
    await control('PUT', '/_sim/faults', { burst5xx: 10 });
    const error = await client.getAction(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ status: 500, id: 'server_error' });
  });

  it('never retries a create on 5xx: the outcome is unknown', async () => {
    await control('PUT', '/_sim/faults', { burst5xx: 1 });
    const error = await client.createDroplet({ name: 'x', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500, id: 'outcome_unknown', outcomeUnknown: true });
    expect(sim.state.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('reports a create that took effect but answered 500 as outcome unknown, and the droplet is there', async () => {
    await control('PUT', '/_sim/faults', { burst5xxAfterEffect: 1 });
    const error = await client.createDroplet({ name: 'half', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['saga:half'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ status: 500, id: 'outcome_unknown', outcomeUnknown: true });
    expect(sim.state.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await client.listDroplets({ tag: 'saga:half' })).map((d) => d.name)).toEqual(['half']);
  });

  it('tags droplets with a tag that does not exist yet, idempotently, and untags them twice', async () => {
    const droplet = await client.createDroplet({ name: 'web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['saga:1'] });
    await client.tagDroplets('team:blue', [droplet.id]);
    await client.tagDroplets('team:blue', [droplet.id, droplet.id]);
    expect((await client.getDroplet(droplet.id))?.tags).toEqual(['saga:1', 'team:blue']);
    expect((await client.listDroplets({ tag: 'team:blue' })).map((d) => d.id)).toEqual([droplet.id]);

    await client.untagDroplets('team:blue', [droplet.id]);
    await client.untagDroplets('team:blue', [droplet.id]);
    await client.untagDroplets('never-made', [droplet.id]);
    expect((await client.getDroplet(droplet.id))?.tags).toEqual(['saga:1']);
    expect(await client.listDroplets({ tag: 'team:blue' })).toEqual([]);

    expect(sim.state.requests.filter((r) => r.path.startsWith('/v2/tags')).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v2/tags 201',
      'POST /v2/tags/team:blue/resources 204',
      'POST /v2/tags 201',
      'POST /v2/tags/team:blue/resources 204',
      'DELETE /v2/tags/team:blue/resources 204',
      'DELETE /v2/tags/team:blue/resources 204',
      'DELETE /v2/tags/never-made/resources 404',
    ]);
    const calls = await metrics.registry.getSingleMetricAsString('digitalocean_api_calls_total');
    expect(calls).toContain('endpoint="POST /v2/tags"');
    expect(calls).toContain('endpoint="POST /v2/tags/{tag_id}/resources"');
    expect(calls).toContain('endpoint="DELETE /v2/tags/{tag_id}/resources"');
    expect(calls).not.toContain('team:blue');
  });

  it('untags the droplets still there when one of them is gone', async () => {
    const a = await client.createDroplet({ name: 'a', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    const b = await client.createDroplet({ name: 'b', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    await client.tagDroplets('fleet', [a.id, b.id]);
    await client.destroyDroplet(b.id);
    await client.untagDroplets('fleet', [b.id, a.id]);
    expect((await client.getDroplet(a.id))?.tags).toEqual([]);
    expect(await client.listDroplets({ tag: 'fleet' })).toEqual([]);
  });

  it('retries the tag calls through 5xx (they are idempotent), and fails plainly on a missing droplet or a bad name', async () => {
    const droplet = await client.createDroplet({ name: 'web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    await control('PUT', '/_sim/faults', { burst5xx: 1, burst5xxAfterEffect: 1 });
    await client.tagDroplets('retried', [droplet.id]); // create: 500 before, then 500 after effect, then 201
    expect(sleeps).toEqual([375, 750]);
    expect((await client.getDroplet(droplet.id))?.tags).toEqual(['retried']);
    await control('PUT', '/_sim/faults', { burst5xxAfterEffect: 1 });
    await client.untagDroplets('retried', [droplet.id]); // removed, answered 500, retried: still 204
    expect((await client.getDroplet(droplet.id))?.tags).toEqual([]);

    expect(await client.tagDroplets('retried', [999]).catch((e: unknown) => e)).toMatchObject({ status: 404, id: 'not_found' });
    const refused = await client.tagDroplets('no spaces', [droplet.id]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CloudApiError);
    expect(refused).toMatchObject({ status: 422, id: 'unprocessable_entity' });
  });

  it('maps API errors to typed errors (422 on a locked droplet)', async () => {
    const res = await control('POST', '/_sim/droplets', { name: 'a', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    const { droplet } = (await res.json()) as { droplet: { id: number } };
    sim.state.delays = { ...ZERO, actionMs: 60_000 };
    await client.dropletAction(droplet.id, { type: 'power_off' });
    const error = await client.dropletAction(droplet.id, { type: 'power_on' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 422, id: 'unprocessable_entity' });
    sim.state.delays = ZERO;
  });

  it('keeps the token out of errors, metric labels and the client itself', async () => {
    await control('PUT', '/_sim/faults', { burst5xx: 10 });
    const errors: unknown[] = [];
    errors.push(await client.getDroplet(1).catch((e: unknown) => e));
    errors.push(await client.createDroplet({ name: 'x', region: 'nyc3', size: 's-1vcpu-1gb', image: 'i' }).catch((e: unknown) => e));
    const down = new DigitalOceanClient({ baseUrl: 'http://127.0.0.1:1', token: TOKEN, purpose: 'provisioning', maxRetries: 1, sleep: async () => undefined });
    errors.push(await down.listDroplets().catch((e: unknown) => e));
    errors.push(await down.createDroplet({ name: 'x', region: 'nyc3', size: 's-1vcpu-1gb', image: 'i' }).catch((e: unknown) => e));
    expect(errors.map((e) => (e as CloudApiError).id)).toEqual(['server_error', 'outcome_unknown', 'network_error', 'outcome_unknown']);
    const text = [...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack}`), await metrics.scrape(), JSON.stringify(client), String(client)].join('\n');
    expect(text).not.toContain(TOKEN);
    expect(await metrics.registry.getSingleMetricAsString('digitalocean_ratelimit_remaining')).toMatch(/purpose="sync"} \d+/);
  });
});

describe('DigitalOcean client against a malformed API', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/v2/droplets/')) res.end(JSON.stringify({ droplet: { id: 1, name: 'x', status: 'exploded' } }));
      else res.end(JSON.stringify({ droplets: [{ id: 'one' }], links: {}, meta: { total: 1 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails with a clear error naming the field', async () => {
    const client = new DigitalOceanClient({ baseUrl: url, token: TOKEN, purpose: 'sync' });
    const one = await client.getDroplet(1).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(CloudApiError);
    expect(one).toMatchObject({ id: 'invalid_response', status: 200 });
    expect((one as Error).message).toMatch(/droplet\.status/);
    expect((one as Error).message).toMatch(/droplet\.locked/);
    const list = await client.listDroplets().catch((e: unknown) => e);
    expect((list as Error).message).toMatch(/droplets\.0\.id/);
    expect((list as Error).message).not.toContain(TOKEN);
  });
});

describe('DigitalOcean client paging links', () => {
  let home: Server;
  let evil: Server;
  let homeUrl: string;
  let evilUrl: string;
  const evilHits: string[] = [];
  let next = '';

  beforeAll(async () => {
    evil = createServer((req, res) => {
      evilHits.push(`${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ droplets: [], links: {}, meta: { total: 0 } }));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    home = createServer((req, res) => {
      const page = new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1';
      const body = page === '1' ? { droplets: [], links: { pages: { next } }, meta: { total: 0 } } : { droplets: [], links: {}, meta: { total: 0 } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => home.listen(0, '127.0.0.1', resolve));
    homeUrl = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => home.close(() => resolve()));
    await new Promise<void>((resolve) => evil.close(() => resolve()));
  });

  it.each([
    ['another origin', () => `${evilUrl}/v2/droplets?page=2`],
    ['a protocol-relative link', () => `//${evilUrl.slice('http://'.length)}/v2/droplets?page=2`],
    ['an empty authority with a host in the path', () => `http:///${evilUrl.slice('http://'.length)}//v2/droplets?page=2`],
    ['a path that reads as a host', () => `${evilUrl}//${evilUrl.slice('http://'.length)}/v2/droplets?page=2`],
    ['a path that reads as a protocol-relative URL', () => `http://elsewhere.invalid///${evilUrl.slice('http://'.length)}/v2/droplets?page=2`],
  ])('never sends the token off the configured origin: %s', async (_label, link) => {
    // given an API whose first page links the next one somewhere else
    next = link();
    evilHits.length = 0;
    const client = new DigitalOceanClient({ baseUrl: homeUrl, token: TOKEN, purpose: 'sync', maxRetries: 0 });

    // when every page is listed
    await client.listDroplets().catch(() => undefined);

    // then the other host was never called, so no token went there
    expect(evilHits).toEqual([]);
  });
});
