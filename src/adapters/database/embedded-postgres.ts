import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A connection string `pg` and MikroORM accept unchanged. */
  readonly url: string;
  /** Closes the socket server (dropping its clients), then the database. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Connections the socket server accepts at once. PGlite is one backend; the server multiplexes
 * every connection onto it, so a connection costs little. Past the limit the server answers with
 * plain text that `pg` cannot parse, so the limit sits well above what the pools, the LISTEN
 * connection and the projection leases open together.
 */
const MAX_CONNECTIONS = 100;

/** PGlite has one role and one database and ignores the names and password a client sends. */
const USER = 'postgres';
const DATABASE = 'postgres';

/**
 * The embedded default (DESIGN.md, "Embedded default"): PostgreSQL compiled to WASM, its files
 * under `dataDir`, served on an ephemeral port of 127.0.0.1 so the same `pg`/MikroORM code runs
 * against it. For first runs and demos only. Every connection shares PGlite's single session, so:
 * - an open transaction holds back every other connection until it ends (code that awaits another
 *   connection inside a transaction waits forever);
 * - session state is shared: a session advisory lock is reentrant across connections and outlives
 *   the connection that took it; `SET` on one connection shows on all; SQL-level `PREPARE` names
 *   clash (protocol-level named statements, as `pg` prepares them, are kept apart per connection);
 * - notifications reach whichever connection ran the notifying statement, never a listener, so
 *   LISTEN/NOTIFY does not work (the event store's subscriptions fall back to polling);
 * - only one process may open `dataDir`.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<EmbeddedPostgres> {
  const directory = join(resolve(dataDir), 'pglite');
  await mkdir(directory, { recursive: true });
  const releaseDirectory = await lockDirectory(directory);

  const db = await PGlite.create({ dataDir: directory, username: USER, database: DATABASE }).catch(async (error: unknown) => {
    await releaseDirectory();
    throw error;
  });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS });
  let port: number | undefined;
  server.addEventListener('listening', (event) => {
    port = (event as CustomEvent<{ port?: number }>).detail?.port;
  });
  try {
    replaceQueryQueue(server, new SessionQueue(db));
    await server.start();
  } catch (error) {
    await db.close().catch(() => undefined);
    await releaseDirectory();
    throw error;
  }
  // Port 0 lets the OS choose; the server reports the bound port in `listening` and getServerConn().
  port ??= Number(server.getServerConn().split(':').pop());
  if (!Number.isInteger(port) || port <= 0) {
    await server.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    await releaseDirectory();
    throw new Error(`embedded PostgreSQL did not report its port (${server.getServerConn()})`);
  }

  log(
    `Using the embedded database (PGlite, PostgreSQL in WASM) on 127.0.0.1:${port}, files in ${directory}. ` +
      'It is for first runs and demos, not production: set DATABASE_URL to use a PostgreSQL server.',
  );

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        if (!db.closed) await db.close();
        await releaseDirectory();
      })();
      return stopping;
    },
  };
}

/**
 * Two processes on one PGlite directory would corrupt it (a CLI command beside a running server,
 * say), so the first holds a pid file and the second is refused with the reason. A pid file left
 * by a process that no longer runs is taken over.
 */
async function lockDirectory(directory: string): Promise<() => Promise<void>> {
  const pidFile = join(directory, 'cloudledger.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(pidFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(pidFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
        throw new Error(
          `the embedded database in ${directory} is in use by process ${holder}: stop it, or set DATABASE_URL to share a PostgreSQL server`,
          { cause: error },
        );
      }
      await rm(pidFile, { force: true });
    }
  }
  throw new Error(`could not take the embedded database lock ${pidFile}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Pending {
  readonly handlerId: number;
  readonly message: Uint8Array;
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: unknown) => void;
}

const READY_FOR_QUERY = 0x5a; // 'Z', followed by int32 length 5 and a status byte
const IDLE = 0x49; // 'I': no transaction block open
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const PARSE = 0x50; // 'P': name, query, parameter types
const BIND = 0x42; // 'B': portal, statement, …
const EXECUTE = 0x45; // 'E': portal, row limit
const DESCRIBE = 0x44; // 'D': 'S' | 'P', name
const CLOSE = 0x43; // 'C': 'S' | 'P', name
const STATEMENT = 0x53; // 'S'
const TERMINATE = 0x58; // 'X'

function closeStatement(name: string): Uint8Array {
  const body = Buffer.from(`S${name}\0`, 'utf8');
  const message = Buffer.alloc(5 + body.length);
  message[0] = CLOSE;
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return new Uint8Array(message.buffer, message.byteOffset, message.length);
}

/**
 * Serialises the connections' protocol messages onto PGlite's single session, replacing the
 * socket server's own queue (pglite-socket 0.2.17). That queue hands the session to another
 * connection between any two messages unless a transaction block is open, so the Parse / Bind /
 * Execute / Sync of concurrent extended-protocol queries interleave once messages pile up (they do
 * behind every transaction): queries then fail with `portal "" does not exist` or `unnamed prepared
 * statement does not exist`, clients hang, and some silently get the result of another
 * connection's statement run with their own parameters. It also stops for good after one failed
 * message. Here a connection keeps the session from its first message until the server answers
 * ReadyForQuery with status idle — the end of a simple query, of an extended sequence at Sync, or
 * of a transaction block — or until it disconnects.
 *
 * Named prepared statements and portals live in the session too, so a second connection preparing
 * a name the first one prepared fails with `prepared statement "…" already exists`. The queue
 * gives each connection its own namespace by prefixing the names in Parse, Bind, Describe, Execute
 * and Close, and closes a connection's statements when it goes away.
 */
class SessionQueue {
  private queue: Pending[] = [];
  private draining = false;
  /** The connection holding the session: mid-sequence or inside a transaction block. */
  private owner: number | null = null;
  /** The connection whose message PGlite is running, and that run. */
  private running: { handlerId: number; done: Promise<void> } | undefined;
  /** Named statements each connection has prepared, under their prefixed names. */
  private readonly statements = new Map<number, Set<string>>();

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return this.push(handlerId, this.namespace(handlerId, message), onData);
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((pending) => {
      if (pending.handlerId !== handlerId) return true;
      pending.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** Called when a connection goes away: end what it left open on the session and free it. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    while (this.running?.handlerId === handlerId) await this.running.done;
    if (this.owner === handlerId) {
      try {
        // Sync closes an extended sequence cut off mid-way; then roll back an open transaction block.
        // (exec takes PGlite's query lock itself, so it runs outside runExclusive.)
        await this.db.runExclusive(() => this.db.execProtocolRawStream(SYNC, { onRawData: () => undefined }));
        if (this.db.isInTransaction()) await this.db.exec('rollback');
      } catch {
        // a closing database: nothing left to clean
      }
      this.owner = null;
    }
    const statements = this.statements.get(handlerId);
    this.statements.delete(handlerId);
    if (statements?.size) {
      const ignore = (): void => undefined;
      const closes = [...statements].map((name) => this.push(handlerId, closeStatement(name), ignore));
      await Promise.allSettled([...closes, this.push(handlerId, SYNC, ignore)]);
    } else {
      await this.drain();
    }
  }

  private push(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.drain();
    });
  }

  /** Prefixes the statement and portal names a message carries with its connection's id. */
  private namespace(handlerId: number, message: Uint8Array): Uint8Array {
    const type = message[0];
    const names = type === BIND ? 2 : type === PARSE || type === EXECUTE || type === DESCRIBE || type === CLOSE ? 1 : 0;
    if (names === 0 || message.length < 6) return message;
    const start = type === DESCRIBE || type === CLOSE ? 6 : 5;
    const prefix = `c${handlerId}:`;
    const fields: Uint8Array[] = [];
    let offset = start;
    for (let i = 0; i < names; i++) {
      const end = message.indexOf(0, offset);
      if (end < 0) return message;
      const name = message.subarray(offset, end);
      fields.push(name.length === 0 ? name : Buffer.from(prefix + Buffer.from(name).toString('utf8'), 'utf8'));
      offset = end + 1;
    }
    if (fields.every((field) => field.length === 0)) return message; // unnamed: nothing to rename
    const statement = fields[0]?.length ? Buffer.from(fields[0]).toString('utf8') : undefined;
    if (statement && type === PARSE) this.statementsOf(handlerId).add(statement);
    if (statement && type === CLOSE && message[5] === STATEMENT) this.statements.get(handlerId)?.delete(statement);
    const rest = message.subarray(offset);
    const size = start + fields.reduce((sum, field) => sum + field.length + 1, 0) + rest.length;
    const out = Buffer.alloc(size);
    out.set(message.subarray(0, start), 0);
    let at = start;
    for (const field of fields) {
      out.set(field, at);
      at += field.length + 1; // the zero terminator is already there: Buffer.alloc zero-fills
    }
    out.set(rest, at);
    out.writeInt32BE(size - 1, 1);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  private statementsOf(handlerId: number): Set<string> {
    let names = this.statements.get(handlerId);
    if (!names) this.statements.set(handlerId, (names = new Set()));
    return names;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const index = this.owner === null ? 0 : this.queue.findIndex((p) => p.handlerId === this.owner);
        // The owner's next message has not arrived yet: everyone else waits for it.
        if (index < 0 || index >= this.queue.length) return;
        const [pending] = this.queue.splice(index, 1);
        if (!pending) return;
        const done = this.run(pending);
        this.running = { handlerId: pending.handlerId, done };
        await done;
        this.running = undefined;
      }
    } finally {
      this.draining = false;
    }
  }

  private async run(pending: Pending): Promise<void> {
    let bytes = 0;
    let tail: Uint8Array = new Uint8Array(0);
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(pending.message, {
          onRawData: (data) => {
            bytes += data.length;
            tail = lastBytes(tail, data, 6);
            pending.onData(data);
          },
        }),
      );
    } catch (error) {
      this.owner = this.db.isInTransaction() ? pending.handlerId : null;
      pending.reject(error);
      return;
    }
    const idle =
      tail.length === 6 && tail[0] === READY_FOR_QUERY && tail[1] === 0 && tail[2] === 0 && tail[3] === 0 && tail[4] === 5 && tail[5] === IDLE;
    // Terminate gets no answer: the connection keeps the session only for an open transaction
    // block, which its disconnect then rolls back.
    const holds = pending.message[0] === TERMINATE ? this.db.isInTransaction() : !idle;
    this.owner = holds ? pending.handlerId : null;
    pending.resolve(bytes);
  }
}

function lastBytes(previous: Uint8Array, next: Uint8Array, count: number): Uint8Array {
  if (next.length >= count) return next.slice(next.length - count);
  const joined = new Uint8Array(previous.length + next.length);
  joined.set(previous);
  joined.set(next, previous.length);
  return joined.slice(Math.max(0, joined.length - count));
}

/**
 * Handlers take the server's queue when a client connects, so swapping it before start() covers
 * every connection. The field is private to pglite-socket (pinned at 0.2.17): fail loudly rather
 * than run with the interleaving queue if a new version renames it.
 */
function replaceQueryQueue(server: PGLiteSocketServer, queue: SessionQueue): void {
  const internals = server as unknown as { queryQueue?: { enqueue?: unknown } };
  if (typeof internals.queryQueue?.enqueue !== 'function') {
    throw new Error('@electric-sql/pglite-socket changed its internals: cannot install the session queue');
  }
  (internals as { queryQueue: unknown }).queryQueue = queue;
}
