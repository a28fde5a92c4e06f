import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../src/adapters/app/server.js';
import { loadConfig } from '../../src/adapters/config/config.js';
import { createLogger } from '../../src/adapters/logging/logger.js';
import type { Role } from '../../src/domain/access/roles.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  readonly url: string;
  readonly server: RunningServer;
  readonly db: TestDatabase;
  /** A token per role, plus the bootstrap platform_admin token the first start printed. */
  readonly tokens: Readonly<Record<Role | 'bootstrap', string>>;
  /** Every log line the app wrote, as JSON text. */
  readonly logs: string[];
  request(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Response>;
  /** Fails when a log line holds a token or an authorization header value. */
  expectLogsClean(): void;
  close(): Promise<void>;
}

/** The real service on a database of its own, on a free port, its logs captured. */
export async function startTestApp(
  env: Record<string, string> = {},
  { databaseUrl = (url: string) => url }: { databaseUrl?: (url: string) => string } = {},
): Promise<TestApp> {
  const db = await createTestDatabase('cl_e2e');
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  // every test request comes from 127.0.0.1: the address limit is set high unless a test sets it
  const config = loadConfig({
    DATABASE_URL: databaseUrl(db.url),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    NODE_ENV: 'test',
    SAGA_DEMO_DEFINITIONS: 'true',
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000',
    // the scheduled sync and detection would append at :00/:15/:30/:45 and :20 past the hour, in
    // the middle of whatever a test counts; a test that wants them sets them
    INVENTORY_SYNC_CRON: 'off',
    DRIFT_DETECT_CRON: 'off',
    ...env,
  });
  let bootstrap = '';
  const server = await startServer(config, logger, {
    announce: (text) => {
      bootstrap = /clt_[\w-]+/.exec(text)?.[0] ?? '';
    },
  });
  const tokens = {
    viewer: (await server.tokens.create('e2e-viewer', 'viewer', 'test')).token,
    operator: (await server.tokens.create('e2e-operator', 'operator', 'test')).token,
    platform_admin: (await server.tokens.create('e2e-admin', 'platform_admin', 'test')).token,
    bootstrap,
  };
  return {
    url: server.url,
    server,
    db,
    tokens,
    logs,
    request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      return fetch(`${server.url}${path}`, { method, headers, body });
    },
    expectLogsClean() {
      const text = logs.join('');
      for (const [role, token] of Object.entries(tokens)) {
        if (token && text.includes(token)) throw new Error(`the logs contain the ${role} token`);
      }
      expect(text).not.toMatch(/Bearer\s+\S/i);
      expect(text).not.toMatch(/"authorization":"(?!\[redacted\])/i);
    },
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

/** Express path → a concrete URL, with a harmless value for each parameter. */
export function concretePath(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) => (name.toLowerCase().includes('id') ? 'do:droplet:1' : 'x'));
}
