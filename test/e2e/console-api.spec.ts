import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A server-sent event stream read with fetch, as the console reads it (EventSource cannot send a token). */
class LiveStream {
  private buffer = '';
  readonly messages: { event: string; data: Json }[] = [];
  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    void this.pump();
  }

  static async open(app: TestApp, query: string, token: string): Promise<LiveStream> {
    const controller = new AbortController();
    const response = await fetch(`${app.url}/api/v1/events/stream?${query}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    return new LiveStream(response, controller);
  }

  private async pump(): Promise<void> {
    if (!this.response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.response.body) {
        this.buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) this.messages.push({ event, data: JSON.parse(data) as Json });
        }
      }
    } catch {
      // aborted, or ended by the server
    }
  }

  close(): void {
    this.controller.abort();
  }
}

/** What the operator console reads beyond the first API: live events, a saga's own events, saga filters, cancel reasons, one-drift ignore, frozen bulk lists. */
describe('the console API over HTTP', () => {
  let sim: RunningSimulator;
  let app: TestApp;
  let closed = false;

  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 100, actionMs: 50, tagListLagMs: 100 } });
    app = await startTestApp({
      DIGITALOCEAN_TOKEN: 'dop_v1_console_api',
      DIGITALOCEAN_API_URL: sim.url,
      DROPLET_ACTIVE_POLL_SECONDS: '0.1',
      DROPLET_ACTION_POLL_SECONDS: '0.1',
      INVENTORY_SYNC_CRON: 'off',
      DRIFT_DETECT_CRON: 'off',
    });
  });
  afterAll(async () => {
    if (!closed) await app?.close();
    await sim?.close();
  });

  const call = async (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Json }> => {
    const response = await app.request(method, path, { token, body, ...(headers ? { headers } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
  const get = (path: string) => call('GET', path, app.tokens.viewer);
  const finished = (sagaId: string) =>
    waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    }, `saga ${sagaId} to finish`);
  /** The saga list under a filter, once the read model shows something under it. */
  const listed = (query: string) =>
    waitFor(async () => {
      const items = (await get(`/api/v1/sagas?${query}&limit=500`)).body.items as Json[];
      return items.length > 0 ? items : undefined;
    }, `the saga list ${query}`);

  describe('live events', () => {
    it("streams one saga's events as they are written, and nothing of other streams", async () => {
      const started = await call('POST', '/api/v1/sagas', app.tokens.operator, { kind: 'console', definition: 'script', inputs: { steps: [{ op: 'sleep', ms: 300 }, { op: 'noop' }] } });
      expect(started.status).toBe(202);
      const sagaId = started.body.sagaId as string;
      const mine = await LiveStream.open(app, `stream=saga-${sagaId}`, app.tokens.viewer);
      const every = await LiveStream.open(app, 'category=saga', app.tokens.viewer);
      expect(mine.response.status).toBe(200);
      expect(mine.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // another saga at the same time: the category stream sees it, the saga's own stream does not
      const other = (await call('POST', '/api/v1/sagas', app.tokens.operator, { kind: 'console', definition: 'noop', inputs: {} })).body.sagaId as string;

      await waitFor(async () => (mine.messages.some((m) => m.event === 'SagaCompleted') ? true : undefined), 'the stream to carry SagaCompleted');
      await waitFor(async () => (every.messages.some((m) => m.data.stream === `saga-${other}` && m.event === 'SagaCompleted') ? true : undefined), 'the category stream to carry the other saga');
      expect(new Set(mine.messages.map((m) => m.data.stream))).toEqual(new Set([`saga-${sagaId}`]));
      expect(mine.messages.map((m) => m.event)).toContain('StepSucceeded');
      expect(mine.messages[0]!.data).toMatchObject({ stream: `saga-${sagaId}`, actor: expect.any(String), recordedAt: expect.any(String) });
      mine.close();
      every.close();
      await finished(sagaId);
    });

    it('refuses what is not one category or one stream, the idempotency records, and callers without a token', async () => {
      for (const query of ['', 'category=saga&stream=saga-x', 'category=idempotency', 'stream=idempotency-abc', 'stream=saga-', 'category=nope']) {
        expect([query, (await call('GET', `/api/v1/events/stream?${query}`, app.tokens.viewer)).status]).toEqual([query, 400]);
      }
      expect((await fetch(`${app.url}/api/v1/events/stream?category=saga`)).status).toBe(401);
    });
  });

  describe('sagas', () => {
    it("pages a saga's own events with limit=1 through every one, in order", async () => {
      const { sagaId } = (await call('POST', '/api/v1/sagas', app.tokens.operator, { kind: 'console', definition: 'noop', inputs: {} })).body;
      await finished(sagaId);
      const whole = (await get(`/api/v1/sagas/${sagaId}/events?limit=500`)).body;
      expect(whole.nextCursor).toBeNull();
      expect(whole.items[0]).toMatchObject({ revision: '0', type: 'SagaStarted', data: { sagaId } });
      expect(whole.items.at(-1).type).toBe('SagaCompleted');
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: Json } = await get(`/api/v1/sagas/${sagaId}/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.body.items.length).toBeLessThanOrEqual(1);
        walked.push(...page.body.items.map((e: Json) => e.revision));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(walked).toEqual(whole.items.map((e: Json) => e.revision));
      expect((await get('/api/v1/sagas/no-such-saga/events')).status).toBe(404);
      expect((await get(`/api/v1/sagas/${sagaId}/events?cursor=-1`)).status).toBe(400);
      expect((await get(`/api/v1/sagas/${sagaId}/events?cursor=abc`)).status).toBe(400);
    });

    it('filters the list by definition, by the resource acted on, and by when they started', async () => {
      const before = new Date().toISOString();
      const provision = await call('POST', '/api/v1/droplets', app.tokens.operator, { name: 'console-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
      const saga = await finished(provision.body.sagaId);
      expect(saga.status).toBe('completed');
      const resourceId = `do:droplet:${saga.steps[0].output.dropletId}`;
      const snapshot = await call('POST', `/api/v1/droplets/${saga.steps[0].output.dropletId}/snapshots`, app.tokens.operator, { label: 'console' });
      await finished(snapshot.body.sagaId);

      const onResource = await waitFor(async () => {
        const items = (await get(`/api/v1/sagas?resourceId=${encodeURIComponent(resourceId)}`)).body.items as Json[];
        return items.length === 2 ? items : undefined;
      }, 'both sagas on the droplet');
      expect(onResource.map((s) => s.definition)).toEqual(['snapshot_droplet', 'provision_droplet']);
      expect(onResource.every((s) => s.resourceId === resourceId)).toBe(true);
      expect((await listed('definition=snapshot_droplet')).map((s) => s.id)).toEqual([snapshot.body.sagaId]);
      const since = await listed(`startedAfter=${encodeURIComponent(before)}&kind=provision`);
      expect(since.map((s) => s.id)).toEqual([provision.body.sagaId]);
      expect((await get(`/api/v1/sagas?startedBefore=${encodeURIComponent(before)}&kind=provision`)).body.items).toEqual([]);
      expect((await get('/api/v1/sagas?startedAfter=yesterday')).status).toBe(400);
    });

    it('keeps the reason a saga was cancelled with', async () => {
      const { sagaId } = (await call('POST', '/api/v1/sagas', app.tokens.operator, { kind: 'console', definition: 'script', inputs: { steps: [{ op: 'sleep', ms: 600_000 }] } })).body;
      expect((await call('POST', `/api/v1/sagas/${sagaId}/cancel`, app.tokens.operator, { reason: 'x'.repeat(1025) })).status).toBe(400);
      const cancelled = await call('POST', `/api/v1/sagas/${sagaId}/cancel`, app.tokens.operator, { reason: 'wrong region' });
      expect(cancelled.status).toBe(202);
      expect(cancelled.body).toMatchObject({ cancelRequestedBy: expect.any(String), cancelReason: 'wrong region' });
      expect((await finished(sagaId)).status).toBe('cancelled');
      const row = await waitFor(async () => (await listed('kind=console&status=cancelled')).find((s) => s.id === sagaId), 'the cancelled saga in the list');
      expect(row).toMatchObject({ cancelReason: 'wrong region' });
    });
  });

  describe('drift', () => {
    const dropletIds: number[] = [];
    let groupId: string;

    beforeAll(async () => {
      for (let i = 0; i < 3; i++) {
        const { body } = await call('POST', '/api/v1/droplets', app.tokens.operator, { name: `console-drift-${i}`, region: 'sfo3', size: 's-1vcpu-1gb', image: 'debian-12-x64' });
        dropletIds.push((await finished(body.sagaId)).steps[0].output.dropletId);
      }
      for (const id of dropletIds) await fetch(`${sim.url}/_sim/droplets/${id}/resize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 's-1vcpu-2gb' }) });
      expect((await call('POST', '/api/v1/inventory/sync', app.tokens.operator)).body.drift).toMatchObject({ new_drift: 3 });
      const groups = (await get('/api/v1/drift/groups')).body.items as Json[];
      groupId = groups.find((g) => g.field === 'size_slug' && g.actual === 's-1vcpu-2gb' && g.count === 3)!.groupId;
    });

    it('acts on exactly the frozen list a dry run answered: the drift left out stays open, one gone is named', async () => {
      const dry = await call('POST', `/api/v1/drift/groups/${groupId}/accept?dryRun=true`, app.tokens.platform_admin);
      const [first, second, third] = dry.body.items as Json[];
      const real = await call('POST', `/api/v1/drift/groups/${groupId}/accept`, app.tokens.platform_admin, { driftIds: [first!.driftId, second!.driftId, 'no-such-drift'] });
      expect(real.status).toBe(200);
      expect(real.body).toMatchObject({ succeeded: 2, failed: 1 });
      expect(real.body.items.find((i: Json) => i.driftId === 'no-such-drift')).toMatchObject({ outcome: 'failed', error: { code: 'drift_not_in_group' } });
      expect((await get(`/api/v1/drift/${third!.driftId}`)).body.status).toBe('open');
      expect((await get(`/api/v1/drift/${first!.driftId}`)).body.status).toBe('accepted');
      expect((await call('POST', `/api/v1/drift/groups/${groupId}/accept`, app.tokens.platform_admin, { driftIds: [] })).status).toBe(400);
    });

    it('ignores one drift under a policy of its own, platform_admin only', async () => {
      const [left] = (await get(`/api/v1/drift?field=size_slug`)).body.items as Json[];
      const terms = { owner: 'ops', reason: 'the resize is planned', expiresAt: new Date(Date.now() + 86_400_000).toISOString() };
      expect((await call('POST', `/api/v1/drift/${left!.id}/ignore`, app.tokens.operator, terms)).status).toBe(403);
      expect((await call('POST', `/api/v1/drift/${left!.id}/ignore`, app.tokens.platform_admin, { ...terms, expiresAt: '2020-01-01T00:00:00Z' })).status).toBe(400);
      const ignored = await call('POST', `/api/v1/drift/${left!.id}/ignore`, app.tokens.platform_admin, terms);
      expect(ignored.status).toBe(200);
      expect((await get(`/api/v1/drift/${left!.id}`)).body).toMatchObject({ status: 'ignored', policyId: ignored.body.policyId });
      expect((await call('POST', `/api/v1/drift/no-such-drift/ignore`, app.tokens.platform_admin, terms)).status).toBe(404);
    });
  });

  it('ends the live streams still open when the server shuts down', async () => {
    const stream = await LiveStream.open(app, 'category=saga', app.tokens.viewer);
    expect(stream.response.status).toBe(200);
    const started = Date.now();
    await app.close();
    closed = true;
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
