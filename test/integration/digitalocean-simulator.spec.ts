import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';

/**
 * The simulator answers with DigitalOcean's own shapes: every kind of response is validated
 * against the response schemas of DigitalOcean's spec (test/fixtures/digitalocean, with its provenance).
 */
const SPEC_PATH = new URL('../fixtures/digitalocean/openapi-v2-subset.json', import.meta.url);
type Json = Record<string, unknown>;
const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

// ajv 6 knows OpenAPI's `nullable` with this option; `example`, `readOnly`, `deprecated` are ignored.
const ajv = new Ajv({ nullable: true, allErrors: true, unknownFormats: 'ignore' });
ajv.addFormat('float', { type: 'number', validate: () => true });

function expectMatchesSpec(path: string, method: string, status: number, body: unknown): void {
  const schema = spec.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`the spec has no ${method.toUpperCase()} ${path} ${status} response schema`);
  const valid = ajv.validate(schema, body);
  if (!valid) throw new Error(`${method.toUpperCase()} ${path} ${status} does not match the spec: ${ajv.errorsText(ajv.errors, { separator: '\n' })}`);
}

const TOKEN = 'sim-test-token';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function call(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const create = { name: 'web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['saga:abc'] };

describe('DigitalOcean simulator: responses match the spec', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 0, actionMs: 0, snapshotAppearMs: 0, snapshotLingerMs: 0, tagListLagMs: 0 } });
  });
  afterAll(() => sim.close());

  it('answers every kind of response with the spec shape', async () => {
    const created = await call(sim, 'POST', '/v2/droplets', create);
    expect(created.status).toBe(202);
    expectMatchesSpec('/v2/droplets', 'post', 202, created.body);
    const id = (created.body.droplet as Json).id as number;

    const one = await call(sim, 'GET', `/v2/droplets/${id}`);
    expect(one.status).toBe(200);
    expectMatchesSpec('/v2/droplets/{droplet_id}', 'get', 200, one.body);
    expect((one.body.droplet as Json).status).toBe('active');

    const list = await call(sim, 'GET', '/v2/droplets?tag_name=saga:abc');
    expectMatchesSpec('/v2/droplets', 'get', 200, list.body);

    const off = await call(sim, 'POST', `/v2/droplets/${id}/actions`, { type: 'power_off' });
    expect(off.status).toBe(201);
    expectMatchesSpec('/v2/droplets/{droplet_id}/actions', 'post', 201, off.body);
    const snap = await call(sim, 'POST', `/v2/droplets/${id}/actions`, { type: 'snapshot', name: 'snap-1' });
    expect(snap.status).toBe(201);

    const action = await call(sim, 'GET', `/v2/actions/${(snap.body.action as Json).id as number}`);
    expectMatchesSpec('/v2/actions/{action_id}', 'get', 200, action.body);
    const actions = await call(sim, 'GET', `/v2/droplets/${id}/actions`);
    expectMatchesSpec('/v2/droplets/{droplet_id}/actions', 'get', 200, actions.body);

    const snapshots = await call(sim, 'GET', `/v2/droplets/${id}/snapshots`);
    expectMatchesSpec('/v2/droplets/{droplet_id}/snapshots', 'get', 200, snapshots.body);
    expect(snapshots.body.snapshots).toHaveLength(1);
    const snapshotId = ((snapshots.body.snapshots as Json[])[0] as Json).id as number;
    const snapshot = await call(sim, 'GET', `/v2/snapshots/${snapshotId}`);
    expectMatchesSpec('/v2/snapshots/{snapshot_id}', 'get', 200, snapshot.body);

    const missing = await call(sim, 'GET', '/v2/droplets/999');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ id: 'not_found', message: expect.any(String) });
    expectMatchesSpec('/v2/droplets/{droplet_id}', 'get', 404, missing.body);

    await call(sim, 'PUT', '/_sim/faults', { burst429: 1, burst5xx: 1 });
    const limited = await call(sim, 'GET', `/v2/droplets/${id}`);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ id: 'too_many_requests', message: 'API rate limit exceeded.' });
    expectMatchesSpec('/v2/droplets/{droplet_id}', 'get', 429, limited.body);
    const failed = await call(sim, 'GET', `/v2/droplets/${id}`);
    expect(failed.status).toBe(500);
    expectMatchesSpec('/v2/droplets/{droplet_id}', 'get', 500, failed.body);

    const unauthorized = await fetch(`${sim.url}/v2/droplets`);
    expect(unauthorized.status).toBe(401);
    expectMatchesSpec('/v2/droplets', 'get', 401, await unauthorized.json());

    const deleted = await call(sim, 'DELETE', `/v2/droplets/${id}`);
    expect(deleted.status).toBe(204);
    expect((await call(sim, 'DELETE', `/v2/droplets/${id}`)).status).toBe(404);
  });

  it('answers the tag endpoints with the spec shape', async () => {
    const { body } = await call(sim, 'POST', '/_sim/droplets', { name: 'tagged', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    const id = (body.droplet as Json).id as number;

    const created = await call(sim, 'POST', '/v2/tags', { name: 'team:blue' });
    expect(created.status).toBe(201);
    expectMatchesSpec('/v2/tags', 'post', 201, created.body);
    expect(created.body.tag).toMatchObject({ name: 'team:blue', resources: { count: 0, droplets: { count: 0 } } });

    const resources = { resources: [{ resource_id: String(id), resource_type: 'droplet' }] };
    const tagged = await call(sim, 'POST', '/v2/tags/team:blue/resources', resources);
    expect(tagged.status).toBe(204);
    expect(tagged.body).toEqual({});

    const tag = await call(sim, 'GET', '/v2/tags/team:blue');
    expect(tag.status).toBe(200);
    expectMatchesSpec('/v2/tags/{tag_id}', 'get', 200, tag.body);
    expect(tag.body.tag).toMatchObject({ name: 'team:blue', resources: { count: 1, droplets: { count: 1, last_tagged_uri: `${sim.url}/v2/droplets/${id}` } } });

    const untagged = await call(sim, 'DELETE', '/v2/tags/team:blue/resources', resources);
    expect(untagged.status).toBe(204);
    expect(untagged.body).toEqual({});

    const unknown = await call(sim, 'POST', '/v2/tags/never-made/resources', resources);
    expect(unknown.status).toBe(404);
    expectMatchesSpec('/v2/tags/{tag_id}/resources', 'post', 404, unknown.body);
    expectMatchesSpec('/v2/tags/{tag_id}/resources', 'delete', 404, (await call(sim, 'DELETE', '/v2/tags/never-made/resources', resources)).body);
    expectMatchesSpec('/v2/tags/{tag_id}', 'get', 404, (await call(sim, 'GET', '/v2/tags/never-made')).body);
  });

  it('rejects a bad spec check (the validator is live)', () => {
    expect(() => expectMatchesSpec('/v2/droplets/{droplet_id}', 'get', 200, { droplet: { id: 'x' } })).toThrow(/does not match/);
  });
});

describe('DigitalOcean simulator: behaviour', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 60, actionMs: 60, snapshotAppearMs: 60, snapshotLingerMs: 60, tagListLagMs: 60 }, seed: 7 });
  });
  beforeEach(() => call(sim, 'POST', '/_sim/reset'));
  afterAll(() => sim.close());

  it('sends rate-limit headers on every response', async () => {
    const first = await call(sim, 'GET', '/v2/droplets');
    const second = await call(sim, 'GET', '/v2/droplets');
    expect(first.headers.get('ratelimit-limit')).toBe('5000');
    expect(Number(second.headers.get('ratelimit-remaining'))).toBe(Number(first.headers.get('ratelimit-remaining')) - 1);
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  });

  it('moves a droplet from new to active with an IPv4, and lags tag listings after a create', async () => {
    const created = await call(sim, 'POST', '/v2/droplets', create);
    const droplet = created.body.droplet as Json;
    expect(droplet.status).toBe('new');
    expect((droplet.networks as { v4: unknown[] }).v4).toEqual([]);
    expect((await call(sim, 'GET', '/v2/droplets?tag_name=saga:abc')).body.droplets).toEqual([]);
    await wait(80);
    const later = (await call(sim, 'GET', `/v2/droplets/${droplet.id as number}`)).body.droplet as Json;
    expect(later.status).toBe('active');
    expect((later.networks as { v4: { ip_address: string; type: string }[] }).v4[0]).toMatchObject({ type: 'public', ip_address: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
    expect((await call(sim, 'GET', '/v2/droplets?tag_name=saga:abc')).body.droplets).toHaveLength(1);
  });

  it('locks a droplet while an action runs (422), then shows its snapshot later and lets it linger after deletion', async () => {
    const { body } = await call(sim, 'POST', '/_sim/droplets', { name: 'db-1', region: 'fra1', size: 's-2vcpu-4gb', image: 'debian-12-x64' });
    const id = (body.droplet as Json).id as number;
    const snap = await call(sim, 'POST', `/v2/droplets/${id}/actions`, { type: 'snapshot', name: 'nightly' });
    expect((snap.body.action as Json).status).toBe('in-progress');
    expect(((await call(sim, 'GET', `/v2/droplets/${id}`)).body.droplet as Json).locked).toBe(true);
    const refused = await call(sim, 'POST', `/v2/droplets/${id}/actions`, { type: 'power_off' });
    expect(refused.status).toBe(422);
    expect(refused.body.id).toBe('unprocessable_entity');
    await wait(80);
    expect(((await call(sim, 'GET', `/v2/actions/${(snap.body.action as Json).id as number}`)).body.action as Json).status).toBe('completed');
    expect((await call(sim, 'GET', `/v2/droplets/${id}/snapshots`)).body.snapshots).toEqual([]);
    await wait(80);
    const snapshots = (await call(sim, 'GET', `/v2/droplets/${id}/snapshots`)).body.snapshots as Json[];
    expect(snapshots).toHaveLength(1);
    expect((await call(sim, 'DELETE', `/v2/snapshots/${snapshots[0]!.id as number}`)).status).toBe(204);
    expect((await call(sim, 'GET', `/v2/droplets/${id}/snapshots`)).body.snapshots).toHaveLength(1);
    await wait(80);
    expect((await call(sim, 'GET', `/v2/droplets/${id}/snapshots`)).body.snapshots).toEqual([]);
  });

  it('changes state behind the control plane through /_sim and lists everything', async () => {
    const { body } = await call(sim, 'POST', '/_sim/droplets', { name: 'rogue', region: 'nyc1', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['a'] });
    const id = (body.droplet as Json).id as number;
    expect((await call(sim, 'POST', `/_sim/droplets/${id}/resize`, { size: 's-2vcpu-4gb' })).status).toBe(200);
    expect((await call(sim, 'PUT', `/_sim/droplets/${id}/tags`, { tags: ['b', 'c'] })).status).toBe(200);
    const live = (await call(sim, 'GET', `/v2/droplets/${id}`)).body.droplet as Json;
    expect(live).toMatchObject({ size_slug: 's-2vcpu-4gb', tags: ['b', 'c'], status: 'active' });
    const state = (await call(sim, 'GET', '/_sim/state')).body;
    expect(state.droplets).toHaveLength(1);
    expect(state.tags).toEqual([{ name: 'b', droplets: 1 }, { name: 'c', droplets: 1 }]);
    expect(JSON.stringify(state)).not.toContain(TOKEN);
    expect((await call(sim, 'DELETE', `/_sim/droplets/${id}`)).status).toBe(204);
    expect((await call(sim, 'GET', `/v2/droplets/${id}`)).status).toBe(404);
  });

  it('injects random 5xx deterministically for a given seed', async () => {
    const run = async (): Promise<number[]> => {
      await call(sim, 'POST', '/_sim/reset');
      await call(sim, 'PUT', '/_sim/faults', { errorRate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(sim, 'GET', '/v2/droplets')).status);
      return statuses;
    };
    const first = await run();
    expect(first.some((s) => s >= 500)).toBe(true);
    expect(first.some((s) => s === 200)).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('creates tags, tags and untags droplets at once in listings, keeping the first capitalization', async () => {
    const { body } = await call(sim, 'POST', '/_sim/droplets', { name: 'old', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['keep'] });
    const id = (body.droplet as Json).id as number;
    const resources = { resources: [{ resource_id: String(id), resource_type: 'droplet' }] };
    expect((await call(sim, 'POST', '/v2/tags/blue/resources', resources)).status).toBe(404); // a tag must exist first

    expect(((await call(sim, 'POST', '/v2/tags', { name: 'Blue' })).body.tag as Json).name).toBe('Blue');
    expect(((await call(sim, 'POST', '/v2/tags', { name: 'blue' })).body.tag as Json).name).toBe('Blue'); // exists: answered again
    expect((await call(sim, 'POST', '/v2/tags', { name: 'no spaces' })).status).toBe(422);
    // a droplet's tags follow the same rule, on a create and behind the control plane's back
    expect((await call(sim, 'POST', '/v2/droplets', { name: 'bad-tags', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['no spaces'] })).status).toBe(422);
    expect((await call(sim, 'PUT', `/_sim/droplets/${id}/tags`, { tags: ['keep', 'no spaces'] })).status).toBe(422);
    expect((await call(sim, 'POST', '/v2/tags/blue/resources', resources)).status).toBe(404); // paths use the canonical name

    expect((await call(sim, 'POST', '/v2/tags/Blue/resources', resources)).status).toBe(204);
    expect((await call(sim, 'POST', '/v2/tags/Blue/resources', resources)).status).toBe(204);
    expect(((await call(sim, 'GET', `/v2/droplets/${id}`)).body.droplet as Json).tags).toEqual(['keep', 'Blue']);
    // tagging is immediate: only a new droplet lags in tag listings
    expect(((await call(sim, 'GET', '/v2/droplets?tag_name=Blue')).body.droplets as Json[]).map((d) => d.id)).toEqual([id]);

    const withGone = { resources: [...resources.resources, { resource_id: '999', resource_type: 'droplet' }] };
    expect((await call(sim, 'DELETE', '/v2/tags/Blue/resources', withGone)).status).toBe(404); // all or nothing
    expect(((await call(sim, 'GET', `/v2/droplets/${id}`)).body.droplet as Json).tags).toEqual(['keep', 'Blue']);
    expect((await call(sim, 'DELETE', '/v2/tags/Blue/resources', resources)).status).toBe(204);
    expect((await call(sim, 'DELETE', '/v2/tags/Blue/resources', resources)).status).toBe(204);
    expect(((await call(sim, 'GET', `/v2/droplets/${id}`)).body.droplet as Json).tags).toEqual(['keep']);
    expect((await call(sim, 'GET', '/v2/droplets?tag_name=Blue')).body.droplets).toEqual([]);

    const state = (await call(sim, 'GET', '/_sim/state')).body;
    expect(state.tags).toEqual([{ name: 'keep', droplets: 1 }]);
    expect(state.empty_tags).toEqual(['Blue']);
  });

  it('fails mutating requests after their effect with burst5xxAfterEffect, leaving GETs alone', async () => {
    expect(((await call(sim, 'GET', '/_sim/state')).body.faults as Json).burst5xxAfterEffect).toBe(0);
    expect((await call(sim, 'PUT', '/_sim/faults', { burst5xxAfterEffect: -1 })).status).toBe(422);
    expect((await call(sim, 'PUT', '/_sim/faults', { burst5xxAfterEffect: 1.5 })).status).toBe(422);
    expect((await call(sim, 'PUT', '/_sim/faults', { burst5xxAfterEffect: 1 })).body).toMatchObject({ faults: { burst5xxAfterEffect: 1 } });

    expect((await call(sim, 'GET', '/v2/droplets')).status).toBe(200);
    const failed = await call(sim, 'POST', '/v2/droplets', create);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ id: 'server_error', message: expect.any(String) });
    expectMatchesSpec('/v2/droplets', 'post', 500, failed.body);
    const state = (await call(sim, 'GET', '/_sim/state')).body;
    expect(state.droplets).toEqual([expect.objectContaining({ name: 'web-1', tags: ['saga:abc'] })]);
    expect((state.faults as Json).burst5xxAfterEffect).toBe(0);
    expect(sim.state.requests.map((r) => [r.method, r.status, r.fault])).toEqual([
      ['GET', 200, undefined],
      ['POST', 500, 'after_effect'],
    ]);
    expect((await call(sim, 'POST', '/v2/droplets', { ...create, name: 'web-2' })).status).toBe(202);

    // a refused request had no effect to fail after: it is answered with its refusal
    await call(sim, 'PUT', '/_sim/faults', { burst5xxAfterEffect: 1 });
    const refused = await call(sim, 'POST', '/v2/droplets', { ...create, name: 'not a host name' });
    expect(refused.status).toBe(422);
    expect(sim.state.requests.at(-1)).toMatchObject({ method: 'POST', status: 422 });
    expect(sim.state.requests.at(-1)!.fault).toBeUndefined();
  });

  it('fails mutating requests under errorRate both before and after their effect, deterministically', async () => {
    const run = async (): Promise<{ statuses: number[]; created: string[]; faults: (string | undefined)[] }> => {
      await call(sim, 'POST', '/_sim/reset');
      await call(sim, 'PUT', '/_sim/faults', { errorRate: 1 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(sim, 'POST', '/v2/droplets', { ...create, name: `web-${i}` })).status);
      await call(sim, 'PUT', '/_sim/faults', { errorRate: 0 });
      const created = ((await call(sim, 'GET', '/_sim/state')).body.droplets as Json[]).map((d) => d.name as string);
      return { statuses, created, faults: sim.state.requests.map((r) => r.fault) };
    };
    const first = await run();
    expect(first.statuses.every((s) => s === 500 || s === 503)).toBe(true);
    // some creates happened although answered 5xx, some did not happen at all
    expect(first.created.length).toBeGreaterThan(0);
    expect(first.created.length).toBeLessThan(20);
    expect(first.faults.filter((f) => f === 'after_effect')).toHaveLength(first.created.length);
    expect(first.faults.filter((f) => f === 'before_effect')).toHaveLength(20 - first.created.length);
    expect(await run()).toEqual(first);
  });

  it('requires a bearer token', async () => {
    const res = await fetch(`${sim.url}/v2/droplets`, { headers: { authorization: 'Bearer ' } });
    expect(res.status).toBe(401);
  });
});
