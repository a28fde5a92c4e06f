import { randomUUID } from 'node:crypto';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { handleOnStream } from '../../src/application/event-stream.js';
import { specDecider } from '../../src/domain/drift/spec.decider.js';
import type { ResourceState } from '../../src/domain/inventory/resource.js';
import { toSpecStream } from '../../src/domain/streams.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { resizeBehindItsBack, type SeededDroplet, seedManagedDroplets } from '../support/managed-droplets.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DAY_MS = 24 * 60 * 60 * 1000;
const inDays = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString();

describe('drift policies, the drift lifecycle and drift groups over HTTP against the simulator', () => {
  let sim: RunningSimulator;
  let app: TestApp;

  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 100, actionMs: 100, tagListLagMs: 100 } });
    app = await startTestApp({
      DIGITALOCEAN_TOKEN: 'dop_v1_drift_resolution_e2e',
      DIGITALOCEAN_API_URL: sim.url,
      DROPLET_ACTIVE_POLL_SECONDS: '0.1',
      DROPLET_ACTION_POLL_SECONDS: '0.1',
      INVENTORY_SYNC_CRON: 'off',
      DRIFT_DETECT_CRON: 'off',
    });
  });
  afterAll(async () => {
    app?.expectLogsClean();
    await app?.close();
    await sim?.close();
  });

  const call = async (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Json; headers: Headers }> => {
    const response = await app.request(method, path, { token, body, headers });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {}, headers: response.headers };
  };
  const get = (path: string) => call('GET', path, app.tokens.viewer);
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(method, path, app.tokens.platform_admin, body, headers);
  const sync = async (): Promise<Json> => {
    const run = await call('POST', '/api/v1/inventory/sync', app.tokens.operator);
    expect(run.status).toBe(201);
    return run.body;
  };
  const detect = async (): Promise<Json> => {
    const run = await call('POST', '/api/v1/drift/detect', app.tokens.operator);
    expect(run.status).toBe(201);
    return run.body;
  };
  const drift = async (id: string): Promise<Json> => {
    const { status, body } = await get(`/api/v1/drift/${id}`);
    expect(status).toBe(200);
    return body;
  };
  /** Every item of a list, walked one page at a time; fails on an item seen twice. */
  const walk = async (path: string, key: string): Promise<Json[]> => {
    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await get(`${path}${separator}limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...(page.body.items as Json[]));
      cursor = page.body.nextCursor as string | null;
    } while (cursor !== null);
    const keys = seen.map((item) => item[key] as string);
    expect(new Set(keys).size).toBe(keys.length);
    return seen;
  };

  const seedManaged = (prefix: string, count: number) => seedManagedDroplets(app, sim, prefix, count);
  const driftTo = (seeded: readonly SeededDroplet[], size: string) => resizeBehindItsBack(app, sim, seeded, size);
  const driftOf = async (resourceId: string, status = 'all'): Promise<Json[]> => (await get(`/api/v1/drift?status=${status}&resourceId=${encodeURIComponent(resourceId)}`)).body.items as Json[];
  const groupOf = async (field: string, expected: unknown, actual: unknown): Promise<Json | undefined> =>
    (await walk('/api/v1/drift/groups', 'groupId')).find((g) => g.field === field && JSON.stringify(g.expected) === JSON.stringify(expected) && JSON.stringify(g.actual) === JSON.stringify(actual));
  const policyEvents = async (type: string): Promise<{ policy_id: string; actor: string }[]> =>
    (await app.db.pool.query<{ policy_id: string; actor: string }>(`select data->>'policyId' as policy_id, metadata->>'actor' as actor from events where type = $1`, [type])).rows;

  describe('ignore policies', () => {
    it('refuses bad input with 400 and weaker roles with 403, and writes nothing', async () => {
      const good = { resource: 'web-*', field: 'size_slug', owner: 'platform', reason: 'autoscaler migration', expiresAt: inDays(1) };
      for (const bad of [
        { ...good, expiresAt: new Date(Date.now() - 60_000).toISOString() },
        { ...good, expiresAt: inDays(181) },
        { ...good, expiresAt: 'next tuesday' },
        { ...good, owner: '' },
        { ...good, resource: 'has space' },
        { ...good, extra: true },
        { resource: 'web-*', field: 'size_slug' },
      ]) {
        const answer = await admin('POST', '/api/v1/drift/policies', bad);
        expect([bad, answer.status]).toEqual([bad, 400]);
        expect(answer.body).toMatchObject({ error: 'invalid_input' });
      }
      expect((await admin('POST', '/api/v1/drift/policies', { ...good, expiresAt: inDays(181) })).body.issues).toEqual([
        { path: 'expiresAt', message: expect.stringMatching(/at most 180 days/) },
      ]);
      expect((await call('POST', '/api/v1/drift/policies', app.tokens.operator, good)).status).toBe(403);
      expect((await call('POST', '/api/v1/drift/policies', app.tokens.viewer, good)).status).toBe(403);
      expect((await call('DELETE', '/api/v1/drift/policies/whatever', app.tokens.operator)).status).toBe(403);
      expect((await admin('DELETE', '/api/v1/drift/policies/no-such-policy')).status).toBe(404);
      expect((await get('/api/v1/drift/policies?cursor=AAAA')).status).toBe(400);
      expect(await policyEvents('DriftPolicyCreated')).toEqual([]);
    });

    it('ignores matching drift at once, lists what it matched, and opens it again at once when ended', async () => {
      // given two droplets drifted in size and one as specified
      const seeded = await seedManaged('polweb', 3);
      await driftTo(seeded.slice(0, 2), 's-2vcpu-2gb');
      const [first, second] = await Promise.all(seeded.slice(0, 2).map(async (s) => (await driftOf(s.resourceId, 'open'))[0]!));
      expect([first!.status, second!.status]).toEqual(['open', 'open']);

      // when a policy covers them
      const created = await admin('POST', '/api/v1/drift/policies', { resource: 'polweb-*', field: 'size_*', owner: 'platform', reason: 'autoscaler migration', expiresAt: inDays(30) });

      // then it answers the policy, and both are ignored under it, out of the inbox
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ resource: 'polweb-*', field: 'size_*', status: 'live', createdBy: 'e2e-admin', endedAt: null, ignoring: 2, matched: 2 });
      const { policyId } = created.body as { policyId: string };
      for (const d of [first!, second!]) {
        expect(await drift(d.id)).toMatchObject({ status: 'ignored', policyId, ignoredUntil: created.body.expiresAt, resource: { resourceId: d.resourceId } });
        expect(await driftOf(d.resourceId, 'open')).toEqual([]);
      }
      const ignored = (await get('/api/v1/drift?status=ignored&field=size_slug')).body.items as Json[];
      expect(ignored.map((d) => d.id).sort()).toEqual([first!.id, second!.id].sort());
      const listed = (await walk('/api/v1/drift/policies', 'policyId')).find((p) => p.policyId === policyId);
      expect(listed).toMatchObject({ status: 'live', ignoring: 2, matched: 2, owner: 'platform', reason: 'autoscaler migration' });
      expect(await policyEvents('DriftPolicyCreated')).toEqual([{ policy_id: policyId, actor: 'e2e-admin' }]);
      // a sweep leaves them ignored
      expect(await detect()).toMatchObject({ new_drift: 0, reopened: 0 });

      // when it ends before its time / then they open again at once, and the policy says ended
      expect((await admin('DELETE', `/api/v1/drift/policies/${policyId}`)).status).toBe(204);
      expect(await drift(first!.id)).toMatchObject({ status: 'open', ignoredUntil: null, policyId });
      expect(await drift(second!.id)).toMatchObject({ status: 'open' });
      expect((await walk('/api/v1/drift/policies', 'policyId')).find((p) => p.policyId === policyId)).toMatchObject({ status: 'ended', endedBy: 'e2e-admin', ignoring: 0, matched: 2 });
      expect(await policyEvents('DriftPolicyEnded')).toEqual([{ policy_id: policyId, actor: 'e2e-admin' }]);
      // ending it again changes nothing
      expect((await admin('DELETE', `/api/v1/drift/policies/${policyId}`)).status).toBe(204);
      expect(await policyEvents('DriftPolicyEnded')).toHaveLength(1);
    });

    it('lets a policy expire: the next detection after its end opens the drift again', async () => {
      const [seeded] = await seedManaged('polexp', 1);
      await driftTo([seeded!], 's-2vcpu-2gb');
      const created = await admin('POST', '/api/v1/drift/policies', { resource: seeded!.resourceId, field: 'size_slug', owner: 'ops', reason: 'a short test window', expiresAt: new Date(Date.now() + 2_000).toISOString() });
      expect(created).toMatchObject({ status: 201, body: { ignoring: 1 } });
      const [ignored] = await driftOf(seeded!.resourceId, 'ignored');
      expect(ignored).toMatchObject({ policyId: created.body.policyId });

      await waitFor(async () => (Date.now() > Date.parse(created.body.expiresAt as string) + 50 ? true : undefined), 'the policy to expire');
      expect((await walk('/api/v1/drift/policies', 'policyId')).find((p) => p.policyId === created.body.policyId)).toMatchObject({ status: 'expired' });
      expect(await detect()).toMatchObject({ reopened: 1 });
      expect(await drift(ignored!.id)).toMatchObject({ status: 'open', ignoredUntil: null });
    });
  });

  describe('the drift lifecycle', () => {
    it('lists drift of every status, filtered by status, resource and field, each item once when paged with limit=1', async () => {
      // given drift that ends each way: accepted, reverted, stale, resource_deleted, ignored, and open
      const [accepted, reverted, stale, deleted, ignored, open] = await seedManaged('life', 6);
      await driftTo([accepted!, reverted!, stale!, deleted!, ignored!, open!], 's-8vcpu-16gb');
      const idOn = async (s: { resourceId: string }) => (await driftOf(s.resourceId, 'open'))[0]!.id as string;
      const ids = { accepted: await idOn(accepted!), reverted: await idOn(reverted!), stale: await idOn(stale!), resource_deleted: await idOn(deleted!), ignored: await idOn(ignored!), open: await idOn(open!) };
      expect((await admin('POST', `/api/v1/drift/${ids.accepted}/accept`)).status).toBe(201);
      const revert = await admin('POST', `/api/v1/drift/${ids.reverted}/revert`);
      expect(revert.status).toBe(202);
      await waitFor(async () => ((await drift(ids.reverted)).status === 'reverted' ? true : undefined), 'the revert to finish');
      sim.state.resize(stale!.dropletId, 's-1vcpu-1gb');
      await sync();
      // destroyed: its spec goes, and its drift closes with it
      const destroy = await admin('DELETE', `/api/v1/droplets/${deleted!.dropletId}`);
      expect(destroy.status).toBe(202);
      await waitFor(async () => ((await drift(ids.resource_deleted)).status === 'resource_deleted' ? true : undefined), 'the destroyed droplet’s drift to close');
      expect((await admin('POST', '/api/v1/drift/policies', { resource: ignored!.resourceId, field: 'size_slug', owner: 'ops', reason: 'r', expiresAt: inDays(1) })).status).toBe(201);

      // then each is listed under its status, and GET one answers the same
      for (const [status, id] of Object.entries(ids)) {
        const items = (await get(`/api/v1/drift?status=${status}&field=size_slug&limit=500`)).body.items as Json[];
        expect([status, items.some((d) => d.id === id)]).toEqual([status, true]);
        expect(items.every((d) => d.status === status)).toBe(true);
        expect(await drift(id)).toMatchObject({ id, status });
      }
      // the inbox by default holds only open drift
      const inbox = (await get('/api/v1/drift?limit=500')).body.items as Json[];
      expect(inbox.every((d) => d.status === 'open')).toBe(true);
      expect(inbox.map((d) => d.id)).toContain(ids.open);
      expect(inbox.map((d) => d.id)).not.toContain(ids.ignored);

      // every list walked with limit=1 sees what one large page sees, each item once, in the same order
      for (const path of ['/api/v1/drift?status=all', '/api/v1/drift', '/api/v1/drift?status=all&field=size_slug', `/api/v1/drift?status=all&resourceId=${encodeURIComponent(open!.resourceId)}`]) {
        const walked = (await walk(path, 'id')).map((d) => d.id);
        const whole = ((await get(`${path}${path.includes('?') ? '&' : '?'}limit=500`)).body.items as Json[]).map((d) => d.id);
        expect([path, walked]).toEqual([path, whole]);
        expect(walked.length).toBeGreaterThan(0);
      }
      expect((await walk('/api/v1/drift?status=all', 'id')).length).toBeGreaterThanOrEqual(6);
      expect((await walk(`/api/v1/drift?status=all&resourceId=${encodeURIComponent(accepted!.resourceId)}`, 'id')).map((d) => d.id)).toEqual([ids.accepted]);

      // bad input
      expect((await get('/api/v1/drift?status=closed')).status).toBe(400);
      expect((await get('/api/v1/drift?status=all&cursor=not-a-cursor')).status).toBe(400);
      const tampered = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
      expect((await get(`/api/v1/drift?status=all&cursor=${tampered}`)).status).toBe(400);
      expect((await get('/api/v1/drift/no-such-drift')).status).toBe(404);
      expect((await get('/api/v1/drift/no-such-drift')).body).toMatchObject({ error: 'drift_not_found' });
    });
  });

  describe('drift groups', () => {
    it('groups open drift by cause; accepts a group of 52 as a dry run, then for real under an Idempotency-Key', async () => {
      // given 52 droplets resized the same way behind cloudledger's back, and 2 another way
      const seeded = await seedManaged('grp', 54);
      await driftTo(seeded.slice(0, 52), 's-4vcpu-8gb');
      await driftTo(seeded.slice(52), 's-2vcpu-4gb');

      // then the groups say so, with counts and ages
      const group = await groupOf('size_slug', 's-1vcpu-1gb', 's-4vcpu-8gb');
      expect(group).toMatchObject({ count: 52, groupId: expect.stringMatching(/^[0-9a-f]{20}$/) });
      expect(Date.parse(group!.oldestDetectedAt as string)).toBeLessThanOrEqual(Date.parse(group!.newestDetectedAt as string));
      expect(await groupOf('size_slug', 's-1vcpu-1gb', 's-2vcpu-4gb')).toMatchObject({ count: 2 });
      // the largest groups first
      const counts = (await walk('/api/v1/drift/groups', 'groupId')).map((g) => g.count as number);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      expect((await get('/api/v1/drift/groups?cursor=AAAA')).status).toBe(400);
      const path = `/api/v1/drift/groups/${group!.groupId}/accept`;

      // when it is accepted as a dry run / then it lists exactly the group's drift and touches nothing
      expect((await call('POST', path, app.tokens.operator)).status).toBe(403);
      const dry = await admin('POST', `${path}?dryRun=true`);
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dryRun: true, action: 'accept', limit: 500, more: false });
      const open = (await walk('/api/v1/drift?field=size_slug', 'id')).filter((d) => d.actual === 's-4vcpu-8gb');
      expect((dry.body.items as Json[]).map((i) => i.driftId).sort()).toEqual(open.map((d) => d.id).sort());
      expect((dry.body.items as Json[]).map((i) => i.resourceId).sort()).toEqual(seeded.slice(0, 52).map((s) => s.resourceId).sort());
      expect(await groupOf('size_slug', 's-1vcpu-1gb', 's-4vcpu-8gb')).toMatchObject({ count: 52 });

      // when it is accepted for real / then every item is its own accept, and the spec follows
      const key = { 'idempotency-key': `accept-${group!.groupId}` };
      const real = await admin('POST', path, undefined, key);
      expect(real.status).toBe(200);
      expect(real.body).toMatchObject({ dryRun: false, succeeded: 52, failed: 0, more: false });
      expect((real.body.items as Json[]).map((i) => i.driftId)).toEqual((dry.body.items as Json[]).map((i) => i.driftId));
      expect((real.body.items as Json[]).every((i) => i.outcome === 'succeeded' && i.result.specVersion === 2)).toBe(true);
      for (const item of (real.body.items as Json[]).slice(0, 5)) expect(await drift(item.driftId as string)).toMatchObject({ status: 'accepted', resolvedBy: 'e2e-admin' });
      expect((await get(`/api/v1/specs/${seeded[0]!.resourceId}`)).body).toMatchObject({ specVersion: 2, spec: { size_slug: 's-4vcpu-8gb' } });
      const accepts = await app.db.pool.query<{ n: string }>(`select count(*) as n from events where type = 'DriftAccepted' and metadata->>'actor' = 'e2e-admin' and data->>'field' = 'size_slug' and data->>'value' = 's-4vcpu-8gb'`);
      expect(accepts.rows[0]!.n).toBe('52');

      // the same request again under the key: the first answer, nothing run
      const again = await admin('POST', path, undefined, key);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(real.body);
      // the group is gone from the groups; acting on it again is a 404
      expect(await groupOf('size_slug', 's-1vcpu-1gb', 's-4vcpu-8gb')).toBeUndefined();
      expect((await admin('POST', path)).status).toBe(404);
      expect((await admin('POST', `/api/v1/drift/groups/${'0'.repeat(20)}/revert`)).body).toMatchObject({ error: 'drift_group_not_found' });
      expect((await admin('POST', '/api/v1/drift/groups/not-hex/accept')).status).toBe(400);
    });

    it('reports each item of a group action: a revert that cannot touch one resource says which, and goes on with the others', async () => {
      // given two droplets drifted in size, and the same drift on a resource that is no droplet
      const seeded = await seedManaged('grprev', 2);
      await driftTo(seeded, 's-3vcpu-3gb');
      const volume = 'do:volume:4242';
      const store = app.server.infrastructure.eventStore;
      const meta = { actor: 'e2e-seed', correlationId: randomUUID(), causationId: null };
      await handleOnStream(store, toSpecStream(volume), specDecider, { type: 'RecordSpec', data: { resourceId: volume, spec: { size_slug: 's-1vcpu-1gb' }, reason: 'recorded', sagaId: null } }, meta);
      // what the drift is compared with; the resource id is what makes it no droplet
      const live: ResourceState = { provider: 'digitalocean', kind: 'droplet', providerId: '4242', name: 'vol', region: 'nyc3', size_slug: 's-3vcpu-3gb', status: 'active', tags: [], attrs: {} };
      await handleOnStream(store, toSpecStream(volume), specDecider, { type: 'DetectDrift', data: { resourceId: volume, live, policies: [], newDriftId: () => randomUUID() } }, meta);
      const group = await waitFor(async () => {
        const g = await groupOf('size_slug', 's-1vcpu-1gb', 's-3vcpu-3gb');
        return g?.count === 3 ? g : undefined;
      }, 'the group of three');

      // when the group is reverted
      const answer = await admin('POST', `/api/v1/drift/groups/${group.groupId}/revert`);

      // then the droplets' reverts start and the volume's is refused, item by item
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ succeeded: 2, failed: 1 });
      const byResource = new Map((answer.body.items as Json[]).map((i) => [i.resourceId, i]));
      expect(byResource.get(volume)).toMatchObject({ outcome: 'failed', error: { code: 'drift_not_revertible', message: expect.stringMatching(/not a droplet/) } });
      expect(byResource.get(volume)!.result).toBeUndefined();
      for (const s of seeded) expect(byResource.get(s.resourceId)).toMatchObject({ outcome: 'succeeded', result: { sagaId: expect.any(String), resourceId: s.resourceId } });
      for (const s of seeded) await waitFor(async () => ((await driftOf(s.resourceId, 'reverted')).length === 1 ? true : undefined), `${s.resourceId} reverted`);
      for (const s of seeded) expect(sim.state.droplet(s.dropletId).size).toBe('s-1vcpu-1gb');
    });

    it('ignores a group: each drift under a policy of its own resource and field, until its end', async () => {
      const seeded = await seedManaged('grpign', 3);
      await driftTo(seeded, 's-5vcpu-5gb');
      const group = (await groupOf('size_slug', 's-1vcpu-1gb', 's-5vcpu-5gb'))!;
      const path = `/api/v1/drift/groups/${group.groupId}/ignore`;
      const terms = { owner: 'capacity', reason: 'trial of larger sizes', expiresAt: inDays(7) };
      expect((await admin('POST', path)).status).toBe(400);
      expect((await admin('POST', path, { ...terms, expiresAt: inDays(200) })).status).toBe(400);
      expect((await call('POST', path, app.tokens.operator, terms)).status).toBe(403);

      const dry = await admin('POST', `${path}?dryRun=true`, terms);
      expect(dry.body).toMatchObject({ dryRun: true, action: 'ignore' });
      expect(dry.body.items).toHaveLength(3);
      const policiesBefore = (await policyEvents('DriftPolicyCreated')).length;

      const real = await admin('POST', path, terms);
      expect(real.body).toMatchObject({ dryRun: false, succeeded: 3, failed: 0 });
      expect((await policyEvents('DriftPolicyCreated')).length).toBe(policiesBefore + 3);
      const policies = await walk('/api/v1/drift/policies', 'policyId');
      for (const item of real.body.items as Json[]) {
        const d = await drift(item.driftId as string);
        expect(d).toMatchObject({ status: 'ignored', policyId: item.result.policyId, ignoredUntil: new Date(terms.expiresAt).toISOString() });
        expect(policies.find((p) => p.policyId === item.result.policyId)).toMatchObject({ resource: item.resourceId, field: 'size_slug', owner: 'capacity', status: 'live', ignoring: 1, matched: 1 });
      }
      // a sweep keeps them ignored; the group is no longer open
      expect(await detect()).toMatchObject({ reopened: 0, new_drift: 0 });
      expect(await groupOf('size_slug', 's-1vcpu-1gb', 's-5vcpu-5gb')).toBeUndefined();
    });
  });
});
