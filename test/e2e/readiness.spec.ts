import { startTestApp, type TestApp } from '../support/app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

describe('readiness follows the database', () => {
  let app: TestApp;
  const proxy = new TcpProxy('127.0.0.1', 5432);

  beforeAll(async () => {
    await proxy.open();
    app = await startTestApp({}, {
      databaseUrl: (url) => {
        const through = new URL(url);
        through.hostname = '127.0.0.1';
        through.port = String(proxy.port);
        return through.toString();
      },
    });
  });
  afterAll(async () => {
    await proxy.open();
    app.expectLogsClean();
    await app.close();
    await proxy.cut();
  });

  const readiness = async (): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean }> } }> => {
    const response = await app.request('GET', '/health/ready');
    return { status: response.status, body: (await response.json()) as never };
  };

  it('is ready, turns unready while the database is unreachable, and ready again when it returns', async () => {
    // ready once every projection has started (checkpoints exist); a fresh instance is not ready before
    await waitFor(async () => ((await readiness()).status === 200 ? true : undefined), 'the first ready', 30_000, 100);

    await proxy.cut();
    const down = await waitFor(async () => {
      const r = await readiness();
      return r.status === 503 ? r : undefined;
    }, 'readiness to turn 503', 20_000, 200);
    expect(down.body.status).toBe('unready');
    expect(down.body.checks.database!.ok).toBe(false);
    expect(down.body.checks.eventStore!.ok).toBe(false);
    expect((await app.request('GET', '/health/live')).status).toBe(200);

    await proxy.open();
    const up = await waitFor(async () => {
      const r = await readiness();
      return r.status === 200 ? r : undefined;
    }, 'readiness to return to 200', 30_000, 200);
    expect(up.body).toEqual({ status: 'ready', checks: { eventStore: { ok: true }, database: { ok: true }, projections: { ok: true } } });
  });
});
