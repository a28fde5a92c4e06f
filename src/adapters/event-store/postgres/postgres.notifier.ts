import pg from 'pg';

/**
 * One LISTEN connection per process shared by every subscription: appends NOTIFY at commit and
 * waiting subscribers wake at once instead of polling in a tight loop. A subscriber still polls on
 * a timer, because the transaction horizon also moves when unrelated transactions end, which sends
 * no notification. When LISTEN is not available (a lost connection, an embedded server that does
 * not pass notifications), subscriptions keep working on the timer alone.
 */
export class PostgresNotifier {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
  ) {}

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
    for (const wake of [...this.waiters]) wake();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
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
    client.on('notification', () => {
      for (const wake of [...this.waiters]) wake();
    });
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
