import { type Answer, type BlackBox, startBlackBox, walk } from '../support/black-box.js';
import { startTestProcess } from '../support/child-process.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const droplet = (name: string, extra: Json = {}) => ({ name, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ...extra });

/**
 * Trust, tried from outside as a user and an attacker would: a real `serve` and a standalone
 * simulator, over HTTP only. Every refusal is checked to have written and started nothing.
 */
describe('trust: authorization, idempotency, abuse resistance and paging, black-box', () => {
  let box: BlackBox;

  beforeAll(async () => {
    // the production stance: no demo definitions. TRUST_PROXY lets the test speak for client
    // addresses: each ordinary request comes from an address of its own (X-Forwarded-For), so only
    // the burst test's attacker meets the limit per address; the limit per token is tested elsewhere
    box = await startBlackBox({ SAGA_DEMO_DEFINITIONS: 'false', TRUST_PROXY: 'loopback', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '600', RATE_LIMIT_PER_MINUTE: '100000' });
  }, 180_000);
  afterAll(async () => {
    const output = box?.serveOutput() ?? '';
    await box?.close();
    // what never reaches a log line: tokens, authorization headers
    for (const token of Object.values(box?.tokens ?? {})) expect(output).not.toContain(token);
    expect(output).not.toMatch(/Bearer\s+\S/i);
  });

  const get = (path: string, token = box.tokens.viewer) => box.request('GET', path, { token });
  const anonymous = (path: string) => box.request('GET', path);
  const post = (path: string, body: unknown, token = box.tokens.operator, headers: Record<string, string> = {}) => box.request('POST', path, { token, body, headers });
  const finished = (sagaId: string): Promise<Json> =>
    waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, `saga ${sagaId} to finish`);
  const provision = async (name: string): Promise<{ sagaId: string; dropletId: number }> => {
    const started = await post('/api/v1/droplets', droplet(name));
    expect(started.status).toBe(202);
    const saga = await finished(started.body.sagaId);
    expect(saga.status).toBe('completed');
    return { sagaId: saga.id, dropletId: saga.steps[0].output.dropletId };
  };
  const simDroplets = async (): Promise<Json[]> => (await box.sim('GET', '/_sim/state')).body.droplets;
  /** Every saga id in the event store's list, once its projection caught up with what was started. */
  const sagaIds = async (): Promise<string[]> => (await get('/api/v1/sagas?limit=500')).body.items.map((s: Json) => s.id);
  const eventCount = async (): Promise<number> => Number((await box.db.pool.query<{ n: string }>('select count(*) as n from events')).rows[0]!.n);
  /** The state a refusal must leave alone: the log, and the simulator's droplets. */
  const snapshot = async () => ({ events: await eventCount(), droplets: (await simDroplets()).length });

  let managed: { sagaId: string; dropletId: number };
  let stranger: Json;

  describe('lists: every route walked with limit=1 to the end sees each item exactly once', () => {
    beforeAll(async () => {
      managed = await provision('trust-web-1');
      await provision('trust-web-2');
      stranger = (await box.sim('POST', '/_sim/droplets', { name: 'hand-made', region: 'ams3', size: 's-2vcpu-2gb', image: 'debian-12-x64', tags: ['legacy'] })).body.droplet;
      await box.sim('POST', '/_sim/droplets', { name: 'hand-made-2', region: 'ams3', size: 's-2vcpu-2gb', image: 'debian-12-x64' });
      // drift on a managed droplet, made behind cloudledger's back: the sync that sees it opens it
      await box.sim('POST', `/_sim/droplets/${managed.dropletId}/resize`, { size: 's-2vcpu-4gb' });
      const sync = await post('/api/v1/inventory/sync', undefined);
      expect(sync.status).toBe(201);
      expect(sync.body.drift.new_drift).toBeGreaterThanOrEqual(1);
      for (const id of ['trust:a', 'trust:b', 'trust:c']) {
        expect((await box.request('PUT', `/api/v1/iac/states/${id}`, { token: box.tokens.operator, body: { resource_id: id, resource_type: 'bucket', provider: 'digitalocean', status: 'active', outputs: {}, config: {} } })).status).toBe(200);
      }
      for (const id of ['trust:a', 'trust:c']) expect((await post(`/api/v1/iac/states/${id}/lock`, { owner: 'ci', operation: 'apply' })).status).toBe(201);
      for (const field of ['tags:pool-*', 'backups']) {
        const policy = { resource: 'nothing-here-*', field, owner: 'trust', reason: 'paged', expiresAt: new Date(Date.now() + 86_400_000).toISOString() };
        expect((await post('/api/v1/drift/policies', policy, box.tokens.admin)).status).toBe(201);
      }
      // the lists are read models: wait until they show what was written
      await waitFor(async () => ((await get('/api/v1/iac/states?limit=500')).body.items.length >= 3 ? true : undefined), 'the IaC list');
      await waitFor(async () => ((await get('/api/v1/iac/locks?limit=500')).body.items.length >= 2 ? true : undefined), 'the lock list');
    }, 120_000);

    it.each([
      ['sagas', '/api/v1/sagas', 'viewer', 'id', 2],
      ['sagas by status', '/api/v1/sagas?status=completed', 'viewer', 'id', 2],
      ['resources', '/api/v1/resources', 'viewer', 'resourceId', 4],
      ['unmanaged resources', '/api/v1/resources?managed=false', 'viewer', 'resourceId', 2],
      ['open drift', '/api/v1/drift', 'viewer', 'id', 1],
      ['drift of every status', '/api/v1/drift?status=all', 'viewer', 'id', 1],
      ['drift groups', '/api/v1/drift/groups', 'viewer', 'groupId', 1],
      ['drift policies', '/api/v1/drift/policies', 'viewer', 'policyId', 2],
      ['IaC states', '/api/v1/iac/states', 'viewer', 'resource_id', 3],
      ['IaC states by type', '/api/v1/iac/states?resource_type=bucket', 'viewer', 'resource_id', 3],
      ['IaC locks', '/api/v1/iac/locks', 'viewer', 'resourceId', 2],
      ['tokens', '/api/v1/tokens', 'admin', 'id', 4],
    ] as const)('%s: %s', async (_label, path, role, key, atLeast) => {
      const token = box.tokens[role];
      const whole = (await get(`${path}${path.includes('?') ? '&' : '?'}limit=500`, token)).body;
      expect(whole.nextCursor).toBeNull();
      const expected = whole.items.map((item: Json) => String(item[key]));
      expect(expected.length).toBeGreaterThanOrEqual(atLeast);

      const walked = await walk(box, path, token, (item) => String(item[key]));
      expect(walked).toEqual(expected);
      expect(new Set(walked).size).toBe(walked.length);
    });

    it.each(['/api/v1/sagas', '/api/v1/resources', '/api/v1/drift', '/api/v1/drift/groups', '/api/v1/drift/policies', '/api/v1/iac/states', '/api/v1/iac/locks', '/api/v1/tokens'])(
      'refuses a malformed or tampered cursor on %s with 400, and a limit over 500',
      async (path) => {
        const token = box.tokens.admin;
        const cursors = [
          b64(['1', 'x']),
          b64(['2026-12-02T10:00:00.000000Z', 'a\u0000b']),
          b64(['2026-12-02T10:00:00.000000Z', 'x', 'extra']),
          b64([{ $gt: '' }]),
          'not a cursor',
          'x'.repeat(5000),
          Buffer.from('{"broken"').toString('base64url'),
        ];
        for (const cursor of cursors) {
          const response = await get(`${path}?cursor=${encodeURIComponent(cursor)}`, token);
          expect([cursor.slice(0, 40), response.status]).toEqual([cursor.slice(0, 40), 400]);
          expect(response.body.issues?.[0]?.path ?? response.body.error).toMatch(/cursor|invalid/);
        }
        expect((await get(`${path}?limit=501`, token)).status).toBe(400);
        expect((await get(`${path}?limit=0`, token)).status).toBe(400);
      },
    );
  });

  describe('roles: no role does more than it is granted', () => {
    it('refuses to start an internal definition (revert_drift) through POST /sagas, for every role, and lists none it may not start', async () => {
      const before = await snapshot();
      for (const token of [box.tokens.operator, box.tokens.admin]) {
        const response = await post(
          '/api/v1/sagas',
          { kind: 'sneaky', definition: 'revert_drift', inputs: { resourceId: `do:droplet:${managed.dropletId}`, driftId: 'x', field: 'size_slug', dropletId: managed.dropletId, value: 's-8vcpu-16gb' } },
          token,
        );
        expect(response.status).toBe(400);
        const startable = /yours to start: (.*)\)/.exec(response.body.issues[0].message)![1]!;
        expect(startable).not.toMatch(/revert_drift|script|noop/);
      }
      // demo and test definitions do not exist here (SAGA_DEMO_DEFINITIONS=false)
      const script = await post('/api/v1/sagas', { kind: 'demo', definition: 'script', inputs: { steps: [{ op: 'noop' }] } });
      expect(script.status).toBe(400);
      expect(script.body.issues[0].message).toContain('yours to start: provision_droplet');
      expect(await snapshot()).toEqual(before);
    });

    it('lets only platform_admin start the droplet definitions that act on any droplet through POST /sagas', async () => {
      const before = await snapshot();
      const response = await post('/api/v1/sagas', { kind: 'x', definition: 'destroy_droplet', inputs: { dropletId: stranger.id } });
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ error: 'forbidden', requiredRole: 'platform_admin', tokenRole: 'operator' });
      expect(await snapshot()).toEqual(before);
    });

    it('refuses an operator destroying or snapshotting a droplet cloudledger does not manage; platform_admin may', async () => {
      const before = await snapshot();
      const destroy = await box.request('DELETE', `/api/v1/droplets/${stranger.id}`, { token: box.tokens.operator });
      expect(destroy.status).toBe(403);
      expect(destroy.body).toMatchObject({ error: 'forbidden', requiredRole: 'platform_admin' });
      expect((await post(`/api/v1/droplets/${stranger.id}/snapshots`, { label: 'x' })).status).toBe(403);
      // a droplet id the inventory never saw is no different
      expect((await box.request('DELETE', '/api/v1/droplets/999999999', { token: box.tokens.operator })).status).toBe(403);
      expect(await snapshot()).toEqual(before);
      expect((await simDroplets()).map((d) => d.id)).toContain(stranger.id);

      const admin = await post(`/api/v1/droplets/${stranger.id}/snapshots`, { label: 'by-admin' }, box.tokens.admin);
      expect(admin.status).toBe(202);
      expect((await finished(admin.body.sagaId)).status).toBe('completed');
    });

    it('refuses reserved tags in a request with 400, through either route', async () => {
      const before = await snapshot();
      for (const tags of [['managed-by-cloudledger'], ['cloudledger-saga-deadbeef'], ['CloudLedger-anything']]) {
        const direct = await post('/api/v1/droplets', droplet('sneaky', { tags }));
        expect(direct.status).toBe(400);
        expect(direct.body.issues[0].path).toBe('body.tags.0');
        const generic = await post('/api/v1/sagas', { kind: 'x', definition: 'provision_droplet', inputs: droplet('sneaky', { tags }) });
        expect(generic.status).toBe(400);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('keeps an IaC lock its taker’s: a 409 never shows its id, and another operator cannot release or write under it', async () => {
      const path = '/api/v1/iac/states/trust:locked';
      const lock = await post(`${path}/lock`, { owner: 'pipeline-1', operation: 'apply' });
      expect(lock.status).toBe(201);
      const { lockId } = lock.body;

      const held = await post(`${path}/lock`, { owner: 'pipeline-2', operation: 'plan' }, box.tokens.otherOperator);
      expect(held.status).toBe(409);
      expect(held.body).toMatchObject({ error: 'lock_held', lock: { owner: 'pipeline-1', operation: 'apply', who: 'bb-operator', expiresAt: expect.any(String) } });
      expect(JSON.stringify(held.body)).not.toContain(lockId);

      const before = await snapshot();
      expect((await box.request('DELETE', `${path}/lock?lock_id=${lockId}`, { token: box.tokens.otherOperator })).status).toBe(409);
      expect((await post(`${path}/lock/renew`, { lockId }, box.tokens.otherOperator)).status).toBe(409);
      const write = await box.request('PUT', `${path}?lock_id=${lockId}`, { token: box.tokens.otherOperator, body: { resource_id: 'trust:locked', resource_type: 'bucket', provider: 'do', status: 'active' } });
      expect(write.status).toBe(409);
      expect((await box.request('DELETE', `${path}/lock?lock_id=${lockId}&force=true`, { token: box.tokens.otherOperator })).status).toBe(403);
      expect(await snapshot()).toEqual(before);

      // lock ids are shown to platform_admin only
      const locks = await waitFor(async () => {
        const page = (await get('/api/v1/iac/locks?limit=500')).body.items as Json[];
        return page.some((l) => l.resourceId === 'trust:locked') ? page : undefined;
      }, 'the lock in the list');
      expect(JSON.stringify(locks)).not.toContain(lockId);
      expect(JSON.stringify((await get('/api/v1/iac/locks?limit=500', box.tokens.admin)).body)).toContain(lockId);
      expect(JSON.stringify((await get(`${path}/history`)).body)).not.toContain(lockId);

      expect((await box.request('DELETE', `${path}/lock?lock_id=${lockId}`, { token: box.tokens.operator })).status).toBe(204);
    });

    it('shows tokens to platform_admin only, never the tokens themselves, with last use', async () => {
      expect((await get('/api/v1/tokens', box.tokens.operator)).status).toBe(403);
      const tokens = (await get('/api/v1/tokens', box.tokens.admin)).body.items as Json[];
      expect(tokens.map((t) => t.name).sort()).toEqual(['bb-operator', 'bb-operator-2', 'bb-viewer', 'bootstrap']);
      expect(JSON.stringify(tokens)).not.toContain(box.tokens.operator);
      expect(tokens.find((t) => t.name === 'bb-operator')!.lastUsedAt).toEqual(expect.any(String));
    });
  });

  describe('idempotency: a retried request never starts work twice', () => {
    it('replays the first answer to the same request with the same key, and starts one droplet', async () => {
      const key = { 'idempotency-key': 'provision-retry-1' };
      const first = await post('/api/v1/droplets', droplet('idem-1'), box.tokens.operator, key);
      expect(first.status).toBe(202);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const again = await post('/api/v1/droplets', droplet('idem-1'), box.tokens.operator, key);
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');

      await finished(first.body.sagaId);
      const tag = `cloudledger-saga-${String(first.body.sagaId).slice(0, 8)}`;
      expect((await simDroplets()).filter((d) => d.tags.includes(tag))).toHaveLength(1);
      expect((await sagaIds()).filter((id) => id === first.body.sagaId)).toHaveLength(1);
    });

    it('refuses the same key with another request (422), and keeps keys apart per principal', async () => {
      const key = { 'idempotency-key': '"provision-retry-2"' };
      const first = await post('/api/v1/droplets', droplet('idem-2'), box.tokens.operator, key);
      expect(first.status).toBe(202);
      await finished(first.body.sagaId);
      const before = await snapshot();
      const other = await post('/api/v1/droplets', droplet('idem-2-changed'), box.tokens.operator, key);
      expect(other.status).toBe(422);
      expect(other.body.error).toBe('idempotency_key_reused');
      const otherPath = await post(`/api/v1/droplets/${managed.dropletId}/snapshots`, droplet('idem-2'), box.tokens.operator, key);
      expect([400, 422]).toContain(otherPath.status);
      expect(await snapshot()).toEqual(before);

      // another principal's key of the same name is its own
      const theirs = await post('/api/v1/droplets', droplet('idem-2'), box.tokens.otherOperator, key);
      expect(theirs.status).toBe(202);
      expect(theirs.body.sagaId).not.toBe(first.body.sagaId);
      await finished(theirs.body.sagaId);
    });

    it('starts exactly one saga and one droplet for 10 concurrent duplicates', async () => {
      const key = { 'idempotency-key': 'provision-burst-1' };
      const answers = await Promise.all(Array.from({ length: 10 }, () => post('/api/v1/droplets', droplet('idem-burst'), box.tokens.operator, key)));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
      const ids = new Set(answers.map((a) => a.body.sagaId as string));
      expect(ids.size).toBe(1);
      expect(answers.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      const [sagaId] = [...ids];
      await finished(sagaId!);
      const tag = `cloudledger-saga-${sagaId!.slice(0, 8)}`;
      expect((await simDroplets()).filter((d) => d.tags.includes(tag))).toHaveLength(1);
      expect((await simDroplets()).filter((d) => d.name === 'idem-burst')).toHaveLength(1);
    });

    it('makes a destroy and a generic start safe to retry too, and refuses a key that is not printable ASCII', async () => {
      const target = await provision('idem-destroy');
      const key = { 'idempotency-key': `destroy-${target.dropletId}` };
      const first = await box.request('DELETE', `/api/v1/droplets/${target.dropletId}`, { token: box.tokens.operator, headers: key });
      const again = await box.request('DELETE', `/api/v1/droplets/${target.dropletId}`, { token: box.tokens.operator, headers: key });
      expect([first.status, again.status]).toEqual([202, 202]);
      expect(again.body.sagaId).toBe(first.body.sagaId);
      await finished(first.body.sagaId);

      const start = { kind: 'web', definition: 'provision_droplet', inputs: droplet('idem-generic') };
      const one = await post('/api/v1/sagas', start, box.tokens.operator, { 'idempotency-key': 'generic-1' });
      const two = await post('/api/v1/sagas', start, box.tokens.operator, { 'idempotency-key': 'generic-1' });
      expect(two.body.sagaId).toBe(one.body.sagaId);
      await finished(one.body.sagaId);

      const before = await snapshot();
      for (const bad of ['x'.repeat(300), 'tab\there', 'é-not-ascii']) {
        expect((await post('/api/v1/droplets', droplet('idem-bad'), box.tokens.operator, { 'idempotency-key': bad })).status).toBe(400);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('keeps idempotency keys out of the request log', async () => {
      const key = 'secret-looking-key-0123456789';
      expect((await post('/api/v1/sagas', { kind: 'x', definition: 'nope' }, box.tokens.operator, { 'idempotency-key': key })).status).toBe(400);
      await waitFor(async () => (box.serveOutput().includes('"idempotency-key":"[redacted]"') ? true : undefined), 'the request to be logged');
      expect(box.serveOutput()).not.toContain(key);
    });

    it('gives the CLI the same guarantee: sagas start --idempotency-key', async () => {
      const args = ['sagas', 'start', '--definition', 'provision_droplet', '--kind', 'cli', '--inputs', JSON.stringify(droplet('idem-cli')), '--idempotency-key', 'cli-1', '--json'];
      const env = { DIGITALOCEAN_API_URL: box.simUrl, SAGA_DEMO_DEFINITIONS: 'false' };
      const first = await box.cli(args, env);
      const second = await box.cli(args, env);
      expect([first.code, second.code]).toEqual([0, 0]);
      const idOf = (output: string) => /"sagaId": "([\w-]+)"/.exec(output)?.[1];
      expect(idOf(second.output)).toBe(idOf(first.output));
      expect(second.output).toContain('"replayed": true');
      await finished(idOf(first.output)!);
    });
  });

  describe('abuse resistance', () => {
    it('refuses NUL and control characters, and oversized path parameters, with 400 at the edge, writing nothing', async () => {
      const before = await snapshot();
      const refused: Answer[] = [
        await post('/api/v1/droplets', droplet('web\u0000x')),
        await post('/api/v1/droplets', { ...droplet('ok'), tags: ['a\u0007b'] }),
        await get('/api/v1/sagas/%00'),
        await get('/api/v1/sagas?kind=a%00b'),
        await get(`/api/v1/resources/${'x'.repeat(5000)}`),
        await get(`/api/v1/sagas/${'x'.repeat(5000)}`),
        await get('/api/v1/resources/do%3Adroplet%3A1%0A'),
        // the desired-state, drift and console routes: a NUL or a 5,000-character path parameter is refused before anything runs
        await get('/api/v1/specs/do%3Adroplet%3A1%00'),
        await box.request('PUT', `/api/v1/specs/${'x'.repeat(5000)}`, { token: box.tokens.operator, body: { size_slug: 's-1vcpu-1gb' } }),
        await post('/api/v1/specs/%00/apply', undefined),
        await post(`/api/v1/droplets/${'9'.repeat(5000)}/adopt`, undefined, box.tokens.admin),
        await post('/api/v1/droplets/1%00/adopt', undefined, box.tokens.admin),
        await get(`/api/v1/drift/${'x'.repeat(5000)}`),
        await post('/api/v1/drift/%00/ignore', { owner: 'o', reason: 'r', expiresAt: new Date(Date.now() + 86_400_000).toISOString() }, box.tokens.admin),
        await post(`/api/v1/drift/groups/${'a'.repeat(5000)}/accept`, undefined, box.tokens.admin),
        await box.request('DELETE', '/api/v1/drift/policies/%00', { token: box.tokens.admin }),
        await get('/api/v1/sagas/%00/events'),
        await get(`/api/v1/sagas/${'x'.repeat(5000)}/events`),
        await get('/api/v1/events/stream?stream=saga-%00'),
        await post('/api/v1/iac/states/trust:nul/lock', { owner: 'a\u0000', operation: 'apply' }),
        await box.request('PUT', '/api/v1/iac/states/trust:nul', {
          token: box.tokens.operator,
          body: { resource_id: 'trust:nul', resource_type: 'bucket', provider: 'do', status: 'active', config: { note: 'a\u0000b' } },
        }),
        await box.request('PUT', '/api/v1/iac/states/trust:nul', {
          token: box.tokens.operator,
          body: { resource_id: 'trust:nul', resource_type: 'bucket', provider: 'do', status: 'active', config: { 'k\u0000': 'v' } },
        }),
      ];
      expect(refused.map((r) => r.status)).toEqual(refused.map(() => 400));
      expect(await snapshot()).toEqual(before);
      // free text keeps its line breaks
      const note = await post('/api/v1/iac/states/trust:text/lock', { owner: 'ci', operation: 'apply', info: 'line one\nline two\ttabbed' });
      expect(note.status).toBe(201);
    });

    it('reads no body before authentication: an anonymous 2 MB body is a 401, not a 413', async () => {
      const big = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
      expect((await box.request('POST', '/api/v1/droplets', { rawBody: big })).status).toBe(401);
      expect((await box.request('POST', '/api/v1/droplets', { token: 'clt_bad-token-000000000000000000000', rawBody: big })).status).toBe(401);
      expect((await box.request('POST', '/api/v1/droplets', { token: box.tokens.operator, rawBody: big })).status).toBe(413);
    });

    it('shows readiness detail only to a caller with a valid token', async () => {
      const ready = await anonymous('/health/ready');
      expect(ready.status).toBe(200);
      for (const check of Object.values(ready.body.checks as Record<string, Json>)) expect(Object.keys(check)).toEqual(['ok']);
    });

    it('throttles a burst of 700 bad-token requests from one address before authentication, with retry-after; other addresses go on', async () => {
      const attacker = { 'x-forwarded-for': '203.0.113.66' };
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let batch = 0; batch < 14; batch++) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) => box.request('GET', '/api/v1/sagas', { token: i % 2 ? `clt_guess-${batch}-${i}-000000000000000000` : undefined, headers: attacker })),
        );
        for (const a of answers) {
          statuses.push(a.status);
          if (a.status === 429) retryAfter ??= a.headers.get('retry-after');
        }
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(600);
      expect(statuses.filter((s) => s === 429)).toHaveLength(100);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // the attacker's own good token is throttled too (the address is over), another client is not
      expect((await box.request('GET', '/api/v1/sagas', { token: box.tokens.viewer, headers: attacker })).status).toBe(429);
      expect((await box.request('GET', '/api/v1/sagas', { token: box.tokens.viewer, headers: { 'x-forwarded-for': '203.0.113.67' } })).status).toBe(200);
      expect((await anonymous('/health/ready')).status).toBe(200);
    });
  });

  describe('tokens', () => {
    it('answers /me with the caller’s name, role and expiry', async () => {
      expect((await get('/api/v1/me')).body).toEqual({ tokenId: expect.any(String), name: 'bb-viewer', role: 'viewer', expiresAt: null });
      expect((await anonymous('/api/v1/me')).status).toBe(401);
    });

    it('lets a token expire, refuses a system: name, and records the token id beside its name in events', async () => {
      const made = await box.cli(['tokens', 'create', '--name', 'short', '--role', 'viewer', '--expires-in', '3s', '--json']);
      expect(made.code).toBe(0);
      const token = /"token": "(clt_[\w-]+)"/.exec(made.output)![1]!;
      const me = await get('/api/v1/me', token);
      expect(me.body).toMatchObject({ name: 'short', expiresAt: expect.any(String) });
      await waitFor(async () => ((await get('/api/v1/me', token)).status === 401 ? true : undefined), 'the token to expire', 10_000, 250);

      const reserved = await box.cli(['tokens', 'create', '--name', 'system:sync', '--role', 'platform_admin']);
      expect(reserved.code).not.toBe(0);
      expect(reserved.output).toContain('service\'s own actors');

      const { rows } = await box.db.pool.query<{ metadata: Json }>(`select metadata from events where type = 'SagaStarted' and metadata->>'actor' = 'bb-operator' limit 1`);
      const operatorId = ((await get('/api/v1/me', box.tokens.operator)).body as Json).tokenId;
      expect(rows[0]!.metadata).toMatchObject({ actor: 'bb-operator', actorId: operatorId });
    });

    it('labels saga metrics by definition, never by the free-text kind', async () => {
      const text = (await get('/metrics')).body as string;
      expect(text).toMatch(/sagas_total\{definition="provision_droplet",outcome="started"\} \d+/);
      expect(text).not.toMatch(/sagas_total\{kind=/);
    });
  });

  it('refuses to start in production without a DigitalOcean token or an API URL chosen on purpose', async () => {
    const serve = startTestProcess('src/adapters/cli/main.ts', { NODE_ENV: 'production', DATABASE_URL: box.db.url, DIGITALOCEAN_TOKEN: '', DIGITALOCEAN_API_URL: '' }, ['serve']);
    const code = await new Promise<number | null>((resolve) => serve.child.on('exit', resolve));
    expect(code).toBe(1);
    expect(serve.output()).toContain('DIGITALOCEAN_TOKEN: is required when NODE_ENV=production');
  });
});
