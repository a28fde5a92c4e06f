import pg from 'pg';

/** How long a NOTIFY waits for more appends to announce with it: the most it delays other processes' subscribers. */
const NOTIFY_LINGER_MS = 10;

/**
 * One LISTEN connection per process shared by every subscription: after appends, one coalesced
 * NOTIFY wakes subscribers in every process at once instead of polling in a tight loop (this
 * process's own subscribers are woken directly). A subscriber still polls on
 * a timer, because the transaction horizon also moves when unrelated transactions end, which sends
 * no notification. When LISTEN is not available (a lost connection, an embedded server that does
 * not pass notifications), subscriptions keep working on the timer alone.
 */
export class PostgresNotifier {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private waiters = new Set<() => void>();
  private closed = false;
  private announcing = false;
  private announceAgain = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * Tells subscribers that events were committed: this process's at once, other processes' with one
   * NOTIFY for every append that finishes within NOTIFY_LINGER_MS or while a NOTIFY is in flight.
   * Under load that is a few hundred NOTIFYs a second instead of one per append — each a round trip,
   * and a read of the log in every listening process.
   */
  announce(): void {
    this.wakeAll();
    if (this.closed) return;
    if (this.announcing) {
      this.announceAgain = true;
      return;
    }
    this.announcing = true;
    void (async () => {
      do {
        this.announceAgain = false;
        await new Promise((resolve) => setTimeout(resolve, NOTIFY_LINGER_MS));
        await this.pool.query('select pg_notify($1, $2)', [this.channel, '']).catch(() => undefined);
      } while (this.announceAgain && !this.closed);
      this.announcing = false;
    })();
  }

  /** Resolves on the next notification, after `timeoutMs`, or when the notifier closes. */
  async wait(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    void this.ensureListening();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private ensureListening(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.listen().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', () => this.wakeAll());
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      if (this.closed) await client.end();
      else this.client = client;
    } catch {
      await client.end().catch(() => undefined);
    }
  }
}
