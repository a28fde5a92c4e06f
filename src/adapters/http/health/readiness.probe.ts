import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import type { AnyProjection } from '../../../projections/projection.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';

export interface Readiness {
  readonly status: 'ready' | 'unready';
  readonly checks: Record<string, { ok: boolean; detail?: string }>;
}

/**
 * What /health/ready checks, each with a time limit so a hung dependency reads as unready. The
 * answer is computed at most once per `cacheMs`, with one computation in flight: a burst of probes
 * costs the database one check.
 */
export class ReadinessProbe {
  private latest: { readonly at: number; settled: boolean; readonly readiness: Promise<Readiness> } | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly orm: MikroORM,
    private readonly runner: ProjectionRunner,
    private readonly projections: readonly AnyProjection[],
    private readonly maxLagSeconds: number,
    private readonly timeoutMs = 2000,
    private readonly cacheMs = 2000,
    private readonly clock: () => number = Date.now,
  ) {}

  check(): Promise<Readiness> {
    const now = this.clock();
    const latest = this.latest;
    if (latest && (!latest.settled || now - latest.at < this.cacheMs)) return latest.readiness;
    const entry = { at: now, settled: false, readiness: this.compute() };
    void entry.readiness.finally(() => {
      entry.settled = true;
    });
    this.latest = entry;
    return entry.readiness;
  }

  private async compute(): Promise<Readiness> {
    const [eventStore, database, projections] = await Promise.all([
      this.probe(async () => {
        for await (const _ of this.store.readAll({ maxCount: 1 })) break;
      }),
      this.probe(async () => {
        await this.orm.em.getConnection().execute('select 1');
      }),
      this.probe(async () => {
        const lagging = (await this.runner.status(this.projections, { lagCountLimit: 1 })).filter(
          (p) => p.status !== 'running' || p.lagSeconds > this.maxLagSeconds,
        );
        if (lagging.length) throw new Error(lagging.map((p) => `${p.name}: ${p.status}, ${p.lagSeconds.toFixed(1)} s behind`).join('; '));
      }),
    ]);
    const checks = { eventStore, database, projections };
    return { status: Object.values(checks).every((c) => c.ok) ? 'ready' : 'unready', checks };
  }

  private async probe(work: () => Promise<void>): Promise<{ ok: boolean; detail?: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
