import { type Answer, type BlackBox, startBlackBox, walk } from '../support/black-box.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MANAGED = 'managed-by-cloudledger';

/**
 * Desired state for the fleet, tried from outside: a real `serve` and a standalone simulator, over
 * HTTP only, each step of issue 14's "done when" in turn, on one droplet made behind cloudledger's
 * back; then a group of 50 drifts resolved in bulk. Every change made "out of band" goes through the
 * simulator's own control API, never through cloudledger.
 */
describe('desired state: declare, adopt, detect at once, ignore with an end, resolve in bulk — black-box', () => {
  let box: BlackBox;

  beforeAll(async () => {
    box = await startBlackBox({ SAGA_DEMO_DEFINITIONS: 'false', INVENTORY_DELETE_GRACE_SECONDS: '0', RATE_LIMIT_PER_MINUTE: '100000' });
  }, 180_000);
  afterAll(async () => {
    await box?.close();
  });

  const get = (path: string, token = box.tokens.viewer) => box.request('GET', path, { token });
  const send = (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => box.request(method, path, { token, body, headers });
  const finished = (sagaId: string): Promise<Json> =>
    waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, `saga ${sagaId} to finish`);
  const completed = async (started: Answer): Promise<Json> => {
    expect(started.status).toBe(202);
    const saga = await finished(started.body.sagaId);
    expect(saga.status).toBe('completed');
    return saga;
  };
  const sync = async (): Promise<Json> => {
    const run = await send('POST', '/api/v1/inventory/sync', box.tokens.operator);
    expect(run.status).toBe(201);
    return run.body;
  };
  const simDroplet = async (id: number): Promise<Json | undefined> => ((await box.sim('GET', '/_sim/state')).body.droplets as Json[]).find((d) => d.id === id);
  const driftOn = async (resourceId: string, status: string): Promise<Json[]> => (await get(`/api/v1/drift?status=${status}&resourceId=${encodeURIComponent(resourceId)}`)).body.items;

  describe('one droplet made outside cloudledger, step by step', () => {
    let dropletId: number;
    let resourceId: string;

    it('1. a droplet created in the simulator, 2. synced, shows as unmanaged', async () => {
      const made = await box.sim('POST', '/_sim/droplets', { name: 'legacy-web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['web'] });
      expect(made.status).toBe(201);
      dropletId = made.body.droplet.id;
      resourceId = `do:droplet:${dropletId}`;

      const before = (await get('/api/v1/inventory/summary')).body;
      expect(before).toMatchObject({ resources: 0, managed: 0, unmanaged: 0, coverage: 1, openDrift: 0, lastSyncAt: null, lastDetectAt: null });

      await sync();
      const unmanaged = await walk(box, '/api/v1/resources?managed=false', box.tokens.viewer, (r) => String(r.resourceId));
      expect(unmanaged).toEqual([resourceId]);
      const summary = (await get('/api/v1/inventory/summary')).body;
      expect(summary).toMatchObject({ resources: 1, managed: 0, unmanaged: 1, coverage: 0, openDrift: 0 });
      expect(Date.parse(summary.lastSyncAt)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('3. is adopted by a platform_admin only: tagged managed, its spec recorded from its live state', async () => {
      // an operator may neither adopt it nor declare the spec of a droplet cloudledger does not manage
      expect((await send('POST', `/api/v1/droplets/${dropletId}/adopt`, box.tokens.operator)).status).toBe(403);
      expect((await send('PUT', `/api/v1/specs/${resourceId}`, box.tokens.operator, { size_slug: 's-1vcpu-1gb' })).status).toBe(403);
      // a droplet the inventory has never seen cannot be adopted
      expect((await send('POST', '/api/v1/droplets/999999999/adopt', box.tokens.admin)).status).toBe(404);

      const saga = await completed(await send('POST', `/api/v1/droplets/${dropletId}/adopt`, box.tokens.admin, {}, { 'idempotency-key': 'adopt-legacy-web-1' }));
      expect(saga.definition).toBe('adopt_droplet');
      expect((await simDroplet(dropletId))!.tags).toEqual(expect.arrayContaining(['web', MANAGED]));

      const resource = (await get(`/api/v1/resources/${resourceId}`)).body;
      expect(resource).toMatchObject({ managed: true, sizeSlug: 's-1vcpu-1gb' });
      const spec = await get(`/api/v1/specs/${resourceId}`);
      expect(spec.status).toBe(200);
      expect(spec.headers.get('etag')).toBe('"1"');
      expect(spec.body).toMatchObject({ specVersion: 1, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3', image: 'ubuntu-24-04-x64' }, plan: { converged: true } });
      // adopted twice: refused, and the retry under the same key gets the first answer again
      expect((await send('POST', `/api/v1/droplets/${dropletId}/adopt`, box.tokens.admin)).status).toBe(409);
      const retried = await send('POST', `/api/v1/droplets/${dropletId}/adopt`, box.tokens.admin, {}, { 'idempotency-key': 'adopt-legacy-web-1' });
      expect(retried.status).toBe(202);
      expect(retried.body.sagaId).toBe(saga.id);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect((await get('/api/v1/inventory/summary')).body).toMatchObject({ resources: 1, managed: 1, unmanaged: 0, coverage: 1 });

      // the operator may now declare its tags, conditionally on the version read
      const declare = () => send('PUT', `/api/v1/specs/${resourceId}`, box.tokens.operator, { ...spec.body.spec, tags: ['web'] }, { 'if-match': '"1"', 'idempotency-key': 'declare-web-tags' });
      const declared = await declare();
      expect(declared.status).toBe(200);
      expect(declared.headers.get('etag')).toBe('"2"');
      expect(declared.body).toMatchObject({ specVersion: 2, plan: { converged: true, changes: [] } });
      // retried after a lost answer: the first answer again, not a 412 for the version it moved on
      const redeclared = await declare();
      expect(redeclared.status).toBe(200);
      expect(redeclared.headers.get('idempotent-replayed')).toBe('true');
      expect(redeclared.body).toEqual(declared.body);
    });

    it('4. resized behind cloudledger\'s back: the sync that sees it opens the drift, without a detection run', async () => {
      await box.sim('POST', `/_sim/droplets/${dropletId}/resize`, { size: 's-2vcpu-2gb' });
      const report = await sync();
      expect(report).toMatchObject({ changed: 1, drift: { new_drift: 1 } });
      const open = await driftOn(resourceId, 'open');
      expect(open).toEqual([expect.objectContaining({ field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', status: 'open' })]);
      const summary = (await get('/api/v1/inventory/summary')).body;
      expect(summary.openDrift).toBe(1);
      expect(Date.parse(summary.lastDetectAt)).toBeGreaterThanOrEqual(Date.parse(summary.lastSyncAt));
    });

    it('5. a tag policy that ends in seconds: the retag is ignored, then open after the end', async () => {
      // operators may not make exceptions
      const request = { resource: 'legacy-web-*', field: 'tags:pool-*', owner: 'team-autoscale', reason: 'the autoscaler owns pool tags during the migration', expiresAt: new Date(Date.now() + 6_000).toISOString() };
      expect((await send('POST', '/api/v1/drift/policies', box.tokens.operator, request)).status).toBe(403);
      // nor may anyone make one forever
      expect((await send('POST', '/api/v1/drift/policies', box.tokens.admin, { ...request, expiresAt: new Date(Date.now() + 200 * 86_400_000).toISOString() })).status).toBe(400);
      const policy = await send('POST', '/api/v1/drift/policies', box.tokens.admin, request);
      expect(policy.status).toBe(201);
      const policyId = policy.body.policyId as string;

      await box.sim('PUT', `/_sim/droplets/${dropletId}/tags`, { tags: ['web', 'pool-a', MANAGED] });
      await sync();
      const ignored = await driftOn(resourceId, 'ignored');
      expect(ignored).toEqual([expect.objectContaining({ field: 'tags', status: 'ignored', policyId, actual: ['pool-a', 'web'] })]);
      // the inbox leaves it out; the policy shows what it matched
      expect((await driftOn(resourceId, 'open')).map((d) => d.field)).toEqual(['size_slug']);
      const listed = (await get('/api/v1/drift/policies')).body.items.find((p: Json) => p.policyId === policyId);
      expect(listed).toMatchObject({ status: 'live', ignoring: 1, matched: 1, owner: 'team-autoscale' });

      // after its end, the next detection opens it
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(request.expiresAt) - Date.now() + 200)));
      expect((await send('POST', '/api/v1/drift/detect', box.tokens.operator)).body).toMatchObject({ reopened: 1 });
      const reopened = await get(`/api/v1/drift/${ignored[0]!.id}`);
      expect(reopened.body).toMatchObject({ status: 'open', field: 'tags' });
      expect((await get('/api/v1/drift/policies')).body.items.find((p: Json) => p.policyId === policyId)).toMatchObject({ status: 'expired', ignoring: 0 });
    });

    it('7. a PUT with a stale If-Match is refused with 412 and records nothing', async () => {
      const stale = await send('PUT', `/api/v1/specs/${resourceId}`, box.tokens.operator, { size_slug: 's-4vcpu-8gb' }, { 'if-match': '"1"' });
      expect(stale.status).toBe(412);
      expect(stale.body.error).toBe('precondition_failed');
      expect((await get(`/api/v1/specs/${resourceId}`)).body.specVersion).toBe(2);
      expect((await send('PUT', `/api/v1/specs/${resourceId}`, box.tokens.operator, { size_slug: 's-4vcpu-8gb' }, { 'if-match': 'version two' })).status).toBe(400);
    });

    it('8. a larger size declared shows in the plan; applied, the simulator\'s droplet is resized and spec and live agree', async () => {
      const read = await get(`/api/v1/specs/${resourceId}`);
      const etag = read.headers.get('etag')!;
      const declared = await send('PUT', `/api/v1/specs/${resourceId}`, box.tokens.operator, { ...read.body.spec, size_slug: 's-2vcpu-4gb' }, { 'if-match': etag });
      expect(declared.status).toBe(200);
      expect(declared.body.specVersion).toBe(3);
      expect(declared.body.plan.changes).toEqual(
        expect.arrayContaining([
          { field: 'size_slug', desired: 's-2vcpu-4gb', live: 's-2vcpu-2gb', action: 'resize' },
          { field: 'tags', desired: ['web'], live: ['pool-a', 'web'], action: 'retag' },
        ]),
      );
      // a viewer may not apply; an operator may, once
      expect((await send('POST', `/api/v1/specs/${resourceId}/apply`, box.tokens.viewer)).status).toBe(403);
      const apply = () => send('POST', `/api/v1/specs/${resourceId}/apply`, box.tokens.operator, undefined, { 'idempotency-key': 'apply-v3' });
      const started = await apply();
      expect(started.body).toMatchObject({ specVersion: 3, converging: ['size_slug', 'tags'], left: [] });
      // a retry under the same key starts nothing: the same saga
      const again = await apply();
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.sagaId).toBe(started.body.sagaId);
      const saga = await completed(started);
      expect(saga.steps.map((s: Json) => s.name)).toEqual(['begin_apply', 'resize_droplet', 'retag_droplet', 'record_applied']);

      const live = await simDroplet(dropletId);
      expect(live).toMatchObject({ size_slug: 's-2vcpu-4gb', status: 'active' });
      expect([...live!.tags].sort()).toEqual([MANAGED, 'web']);
      const after = await get(`/api/v1/specs/${resourceId}`);
      expect(after.body).toMatchObject({ specVersion: 3, plan: { converged: true, changes: [] } });
      // nothing is left to apply, and the drift the apply resolved closes at the next detection
      expect((await send('POST', `/api/v1/specs/${resourceId}/apply`, box.tokens.operator)).status).toBe(409);
      await send('POST', '/api/v1/drift/detect', box.tokens.operator);
      expect(await driftOn(resourceId, 'open')).toEqual([]);

      // the CLI reads the same spec and plan, and refuses a spec the API would refuse
      const shown = await box.cli(['specs', 'get', resourceId, '--json']);
      expect(shown.code).toBe(0);
      expect(shown.output).toContain('"specVersion": 3');
      const bad = await box.cli(['specs', 'set', resourceId, '--spec', '{"size_slug":"s-2vcpu-4gb","tags":["managed-by-cloudledger"]}']);
      expect(bad.code).toBe(1);
      expect(bad.output).toMatch(/--spec\.tags\.0: is reserved/);
    });

    it('6. deleted outside: its open drift closes as resource_deleted', async () => {
      await box.sim('POST', `/_sim/droplets/${dropletId}/resize`, { size: 's-4vcpu-8gb' });
      await sync();
      const open = (await driftOn(resourceId, 'open'))[0]!;
      expect(open).toMatchObject({ field: 'size_slug', actual: 's-4vcpu-8gb' });

      expect((await box.sim('DELETE', `/_sim/droplets/${dropletId}`)).status).toBe(204);
      expect(await sync()).toMatchObject({ deleted: 1 });
      expect((await get(`/api/v1/drift/${open.id}`)).body).toMatchObject({ status: 'resource_deleted' });
      expect(await driftOn(resourceId, 'open')).toEqual([]);
      expect(await walk(box, `/api/v1/drift?status=resource_deleted&resourceId=${encodeURIComponent(resourceId)}`, box.tokens.viewer, (d) => String(d.id))).toEqual([open.id]);
    });
  });

  describe('a group of 50 drifts with one cause', () => {
    const FLEET = 50;
    let ids: number[];

    it('is listed as one group, and accepted in bulk: a dry run touches nothing, the real run every item', async () => {
      const made = await Promise.all(
        Array.from({ length: FLEET }, (_, i) => box.sim('POST', '/_sim/droplets', { name: `pool-node-${i}`, region: 'sfo3', size: 's-1vcpu-1gb', image: 'debian-12-x64' })),
      );
      ids = made.map((m) => m.body.droplet.id as number);
      await sync();
      // the first through the CLI (serve's workers run its saga), the rest over HTTP
      const byCli = await box.cli(['droplets', 'adopt', String(ids[0]), '--json']);
      expect(byCli.code).toBe(0);
      await finished(/"sagaId": "([^"]+)"/.exec(byCli.output)![1]!);
      for (const id of ids.slice(1)) await completed(await send('POST', `/api/v1/droplets/${id}/adopt`, box.tokens.admin));
      expect((await get(`/api/v1/resources/do:droplet:${ids[0]}`)).body.managed).toBe(true);
      for (const id of ids) await box.sim('POST', `/_sim/droplets/${id}/resize`, { size: 's-1vcpu-2gb' });
      expect(await sync()).toMatchObject({ changed: FLEET, drift: { new_drift: FLEET } });

      const groups = await walk(box, '/api/v1/drift/groups', box.tokens.viewer, (g) => JSON.stringify(g));
      const group = groups.map((g) => JSON.parse(g) as Json).find((g) => g.field === 'size_slug' && g.expected === 's-1vcpu-1gb' && g.actual === 's-1vcpu-2gb');
      expect(group).toMatchObject({ count: FLEET });

      // operators may not resolve in bulk
      expect((await send('POST', `/api/v1/drift/groups/${group!.groupId}/accept`, box.tokens.operator)).status).toBe(403);
      const dry = await send('POST', `/api/v1/drift/groups/${group!.groupId}/accept?dryRun=true`, box.tokens.admin);
      expect(dry.status).toBe(200);
      expect(dry.body.dryRun).toBe(true);
      expect(new Set(dry.body.items.map((i: Json) => i.resourceId))).toEqual(new Set(ids.map((id) => `do:droplet:${id}`)));
      expect((await get(`/api/v1/drift/groups`)).body.items.find((g: Json) => g.groupId === group!.groupId)).toMatchObject({ count: FLEET });

      const real = await send('POST', `/api/v1/drift/groups/${group!.groupId}/accept`, box.tokens.admin, undefined, { 'idempotency-key': 'accept-pool-resize' });
      expect(real.status).toBe(200);
      expect(real.body).toMatchObject({ succeeded: FLEET, failed: 0 });
      expect(new Set(real.body.items.map((i: Json) => i.driftId))).toEqual(new Set(dry.body.items.map((i: Json) => i.driftId)));
      // every spec took the live size; the group is gone; the retry replays the answer and accepts nothing twice
      for (const id of ids.slice(0, 5)) expect((await get(`/api/v1/specs/do:droplet:${id}`)).body).toMatchObject({ specVersion: 2, spec: { size_slug: 's-1vcpu-2gb' } });
      expect((await get(`/api/v1/drift/groups`)).body.items.find((g: Json) => g.groupId === group!.groupId)).toBeUndefined();
      const again = await send('POST', `/api/v1/drift/groups/${group!.groupId}/accept`, box.tokens.admin, undefined, { 'idempotency-key': 'accept-pool-resize' });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(real.body);
      expect((await walk(box, '/api/v1/drift?status=accepted', box.tokens.viewer, (d) => String(d.id))).length).toBe(FLEET);
    }, 300_000);
  });
});
