import pg from 'pg';

/** Advisory-lock namespace of leases: projection leaders and single-run jobs (the event store's stream locks use 1). */
const PROJECTION_LEASE_NAMESPACE = 2;

/**
 * Leadership for one projection: a session advisory lock held on a connection of its own. The
 * lock lives exactly as long as that connection, so a crashed or partitioned holder loses it
 * without any timeout to tune. Writers still verify the checkpoint in each batch transaction, so
 * even a holder that lost its lease unnoticed cannot apply an event twice. A standby keeps its
 * connection between tries: a try is one statement, not a new server process each time.
 */
export class AdvisoryLease {
  /** The lease's connection: the holder's, or a standby's kept for its next try. */
  private client: pg.Client | undefined;
  private holding = false;

  constructor(
    private readonly connectionString: string,
    private readonly name: string,
  ) {}

  /** One try, kept by no standby: the lease when the lock was free, else null, with no connection left open. */
  static async tryOnce(connectionString: string, name: string): Promise<AdvisoryLease | null> {
    const lease = new AdvisoryLease(connectionString, name);
    if (await lease.tryAcquire()) return lease;
    await lease.release();
    return null;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.holding) return true;
    try {
      this.client ??= await this.connect();
      const { rows } = await this.client.query<{ acquired: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as acquired', [PROJECTION_LEASE_NAMESPACE, this.name]);
      this.holding = rows[0]?.acquired === true;
    } catch {
      // unreachable database: not the leader now; the caller tries again later, on a new connection
      await this.release();
    }
    return this.holding;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.holding = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', () => {
      // the connection, and the lock with it, is gone
      if (this.client === client) {
        this.client = undefined;
        this.holding = false;
      }
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }
}

/** Single-run jobs (the inventory sync) across every process on the database, on advisory leases. */
export class AdvisoryJobLease {
  constructor(private readonly connectionString: string) {}

  async tryAcquire(name: string): Promise<{ release(): Promise<void> } | null> {
    const lease = await AdvisoryLease.tryOnce(this.connectionString, `job:${name}`);
    return lease && { release: () => lease.release() };
  }
}
