import { startTestProcess } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';

describe('cloudledger serve', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('cl_serve');
  });
  afterAll(() => db.drop());

  it('shuts down gracefully on one SIGTERM: one shutdown, exit code 0', async () => {
    // given the service running (its own simulator, no schedules)
    const serve = startTestProcess('src/adapters/cli/main.ts', {
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      INVENTORY_SYNC_CRON: 'off',
      DRIFT_DETECT_CRON: 'off',
    }, ['serve']);
    try {
      await waitFor(async () => (serve.output().includes('cloudledger is listening') ? true : undefined), 'the service to listen', 60_000);
      const code = new Promise<number | null>((resolve) => serve.child.on('exit', (c) => resolve(c)));

      // when it is sent one SIGTERM
      serve.child.kill('SIGTERM');

      // then it shuts down once and exits 0, not as if signalled twice
      expect(await code).toBe(0);
      expect(serve.output()).toContain('shutting down');
      expect(serve.output()).not.toContain('second signal');
    } finally {
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    }
  });
});
