import { randomBytes } from 'node:crypto';
import { startTestProcess, type TestProcess } from './child-process.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { waitFor } from './wait.js';

const CLI = 'src/adapters/cli/main.ts';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** One token per principal the trust tests need: two operators, to tell one principal's lock from another's. */
export interface BlackBoxTokens {
  readonly admin: string;
  readonly operator: string;
  readonly otherOperator: string;
  readonly viewer: string;
}

/**
 * The product as a user runs it, from the outside: `cloudledger simulator` and `cloudledger serve`
 * as processes of their own, on a database of their own, spoken to over HTTP only. Tokens are made
 * with `cloudledger tokens create`, as an operator would.
 */
export interface BlackBox {
  readonly url: string;
  readonly simUrl: string;
  readonly db: TestDatabase;
  readonly tokens: BlackBoxTokens;
  /**
   * An HTTP request to serve. Unless the caller sets `x-forwarded-for`, each request comes from an
   * address of its own (serve trusts loopback proxies), so one test's traffic never meets the limit
   * per client address meant for an attacker.
   */
  request(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** The simulator's control API (`/_sim/...`). */
  sim(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Runs a CLI command against the same database; resolves with its exit code and output. */
  cli(args: readonly string[], env?: Record<string, string>): Promise<{ code: number | null; output: string }>;
  /** What serve has printed so far. */
  serveOutput(): string;
  close(): Promise<void>;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

function runToExit(process: TestProcess): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => process.child.on('exit', (code) => resolve({ code, output: process.output() })));
}

export async function startBlackBox(env: Record<string, string> = {}): Promise<BlackBox> {
  const db = await createTestDatabase('cl_blackbox');
  const started: TestProcess[] = [];
  try {
    const simulator = startTestProcess(CLI, {}, ['simulator', '--port', '0']);
    started.push(simulator);
    const simUrl = await waitFor(async () => /listening on (http:\/\/\S+) /.exec(simulator.output())?.[1], 'the simulator to listen', 60_000);

    const admin = `clt_${randomBytes(24).toString('base64url')}`;
    const serve = startTestProcess(
      CLI,
      {
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
        DIGITALOCEAN_API_URL: simUrl,
        BOOTSTRAP_TOKEN: admin,
        INVENTORY_SYNC_CRON: 'off',
        DRIFT_DETECT_CRON: 'off',
        DROPLET_ACTIVE_POLL_SECONDS: '0.2',
        DROPLET_ACTION_POLL_SECONDS: '0.2',
        TRUST_PROXY: 'loopback',
        ...env,
      },
      ['serve'],
    );
    started.push(serve);
    const url = await waitFor(
      async () => {
        if (serve.child.exitCode !== null) throw new Error(`serve exited ${serve.child.exitCode}:\n${serve.output()}`);
        return /"url":"(http:\/\/[^"]+)".*cloudledger is listening/.exec(serve.output())?.[1];
      },
      'serve to listen',
      60_000,
    );

    const cli = (args: readonly string[], extra: Record<string, string> = {}) => runToExit(startTestProcess(CLI, { DATABASE_URL: db.url, LOG_LEVEL: 'warn', ...extra }, args));
    const token = async (name: string, role: string): Promise<string> => {
      const { code, output } = await cli(['tokens', 'create', '--name', name, '--role', role, '--json']);
      if (code !== 0) throw new Error(`tokens create ${name} failed: ${output}`);
      const made = /"token": "(clt_[\w-]+)"/.exec(output)?.[1];
      if (!made) throw new Error(`tokens create ${name} printed no token: ${output}`);
      return made;
    };
    const [operator, otherOperator, viewer] = await Promise.all([token('bb-operator', 'operator'), token('bb-operator-2', 'operator'), token('bb-viewer', 'viewer')]);

    let requests = 0;
    return {
      url,
      simUrl,
      db,
      tokens: { admin, operator, otherOperator, viewer },
      async request(method, path, options = {}) {
        const headers: Record<string, string> = { 'x-forwarded-for': `10.${(++requests >> 16) & 255}.${(requests >> 8) & 255}.${requests & 255}`, ...options.headers };
        if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
        let body = options.rawBody;
        if (options.body !== undefined) body = JSON.stringify(options.body);
        if (body !== undefined) headers['content-type'] ??= 'application/json';
        return answer(await fetch(`${url}${path}`, { method, headers, body }));
      },
      async sim(method, path, body) {
        return answer(await fetch(`${simUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }));
      },
      cli,
      serveOutput: () => serve.output(),
      async close() {
        for (const process of started.reverse()) {
          if (process.child.exitCode === null) process.child.kill('SIGTERM');
          await Promise.race([process.exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
          if (process.child.exitCode === null) process.child.kill('SIGKILL');
        }
        await db.drop();
      },
    };
  } catch (error) {
    for (const process of started) process.child.kill('SIGKILL');
    await db.drop();
    throw error;
  }
}

/**
 * Walks a list route with `limit=1`, following `nextCursor` to the end: every item in the order the
 * pages gave them. Fails on a page that is not 200 or holds more than one item.
 */
export async function walk(box: BlackBox, path: string, token: string, key: (item: Record<string, unknown>) => string): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const response = await box.request('GET', `${path}${separator}limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    if (response.status !== 200) throw new Error(`GET ${path} page ${page} answered ${response.status}: ${JSON.stringify(response.body)}`);
    const { items, nextCursor } = response.body as { items: Record<string, unknown>[]; nextCursor: string | null };
    if (items.length > 1) throw new Error(`GET ${path} with limit=1 answered ${items.length} items`);
    seen.push(...items.map(key));
    if (nextCursor === null) return seen;
    cursor = nextCursor;
  }
  throw new Error(`GET ${path}: no end after 10,000 pages`);
}
