import { startTestProcess, type TestProcess } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';

const BOOTSTRAP_TOKEN = 'e2e-kurrentdb-bootstrap-token-0123456789';

/**
 * `cloudledger serve` with EVENT_STORE=kurrentdb against the KurrentDB double started on its own
 * (`npm run kurrentdb:double`), both as child processes: it starts, provisions, and answers reads.
 */
describe('cloudledger serve on KurrentDB (the double, standalone)', () => {
  let db: TestDatabase;
  let double: TestProcess;
  let serve: TestProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('cl_serve_kdb');
    double = startTestProcess('test/support/kurrentdb-double/main.ts', {}, ['--port', '0']);
  });
  afterAll(async () => {
    if (serve?.child.exitCode === null) serve.child.kill('SIGKILL');
    double.child.kill('SIGTERM');
    await double.exited;
    await db.drop();
  });

  it('starts, provisions a droplet through a saga, answers reads, and stops cleanly', async () => {
    const kurrentdbUrl = await waitFor(async () => /kurrentdb:\/\/\S+/.exec(double.output())?.[0], 'the double to print its connection string', 30_000);
    serve = startTestProcess(
      'src/adapters/cli/main.ts',
      {
        DATABASE_URL: db.url,
        EVENT_STORE: 'kurrentdb',
        KURRENTDB_URL: kurrentdbUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        BOOTSTRAP_TOKEN,
        INVENTORY_SYNC_CRON: 'off',
        DRIFT_DETECT_CRON: 'off',
        DROPLET_ACTIVE_POLL_SECONDS: '0.2',
        DROPLET_ACTION_POLL_SECONDS: '0.2',
      },
      ['serve'],
    );
    const running = serve;
    await waitFor(async () => (running.output().includes('cloudledger is listening') ? true : undefined), 'the service to listen', 60_000);
    expect(running.output()).toContain('event store: KurrentDB');
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(running.output().slice(running.output().indexOf('cloudledger is listening') - 400))![0];
    const request = (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const started = await request('POST', '/api/v1/droplets', { name: 'web-kdb', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    expect(started.status).toBe(202);
    const { sagaId } = (await started.json()) as { sagaId: string };
    const saga = await waitFor(
      async () => {
        const view = (await (await request('GET', `/api/v1/sagas/${sagaId}`)).json()) as { status: string; steps: { output: Record<string, unknown> | null }[] };
        return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      'the provisioning saga to finish',
      60_000,
      200,
    );
    expect(saga.status).toBe('completed');
    const resourceId = saga.steps[2]!.output!.resourceId as string;

    const resource = await waitFor(async () => {
      const response = await request('GET', `/api/v1/resources/${encodeURIComponent(resourceId)}`);
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
    }, 'the inventory read model to show the droplet');
    expect(resource).toMatchObject({ resourceId });
    const history = (await (await request('GET', `/api/v1/resources/${encodeURIComponent(resourceId)}/history`)).json()) as { events: { type: string }[] };
    expect(history.events.map((e) => e.type)).toContain('ResourceObserved');
    expect((await request('GET', '/health/ready')).status).toBe(200);

    const code = new Promise<number | null>((resolve) => running.child.on('exit', (c) => resolve(c)));
    running.child.kill('SIGTERM');
    expect(await code).toBe(0);
  });
});
