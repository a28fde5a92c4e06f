import pg from 'pg';

/** Advisory-lock namespace of leases: projection leaders and single-run jobs (the event store's stream locks use 1). */
const PROJECTION_LEASE_NAMESPACE = 2;

/**
 * Leadership for one projection: a session advisory lock held on a connection of its own. The
 * lock lives exactly as long as that connection, so a crashed or partitioned holder loses it
 * without any timeout to tune. Writers still verify the checkpoint in each batch transaction, so
 * even a holder that lost its lease unnoticed cannot apply an event twice.
 */
export class AdvisoryLease {
  private client: pg.Client | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly name: string,
  ) {}

  async tryAcquire(): Promise<boolean> {
    if (this.client) return true;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ acquired: boolean }>(
        'select pg_try_advisory_lock($1, hashtext($2)) as acquired',
        [PROJECTION_LEASE_NAMESPACE, this.name],
      );
      if (rows[0]?.acquired) {
        this.client = client;
        return true;
      }
    } catch {
      // unreachable database: not the leader now; the caller tries again later
    }
    await client.end().catch(() => undefined);
    return false;
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** Single-run jobs (the inventory sync) across every process on the database, on advisory leases. */
export class AdvisoryJobLease {
  constructor(private readonly connectionString: string) {}

  async tryAcquire(name: string): Promise<{ release(): Promise<void> } | null> {
    const lease = new AdvisoryLease(this.connectionString, `job:${name}`);
    return (await lease.tryAcquire()) ? { release: () => lease.release() } : null;
  }
}
