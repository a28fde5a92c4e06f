import { createTestDatabase, type TestDatabase } from '../test/support/database.js';

/** One JSON line per figure on stdout (DESIGN.md, Benchmarks); everything else goes to stderr. */
export function report(bench: string, figure: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  // a ratio to three places, anything else to one
  const places = unit === 'ratio' ? 1000 : 10;
  process.stdout.write(`${JSON.stringify({ bench, figure, value: Math.round(value * places) / places, unit, ...extra })}\n`);
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Its own database on DATABASE_URL's server (else the local PostgreSQL), dropped afterwards. */
export function benchDatabase(name: string, entities: Parameters<typeof createTestDatabase>[1] = []): Promise<TestDatabase> {
  return createTestDatabase(`cl_bench_${name}`, entities, 12);
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank `p`th percentile (p from 0 to 100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A size as the benches name runs and figures: 10k, 200k, 1m, 5m. */
export function sizeLabel(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1_000}k`;
}

/**
 * A round of sagas: `start(i)` for each i of [from, from + count), from `starters` concurrent callers,
 * then a wait until `from + count` sagas have ended (`ends`: the event types that end one). Returns
 * where the log stood before the round (its events lie past it) and the round's span as its events
 * record it, from its first `SagaStarted` to its last end — not a wall clock read between polls.
 */
export async function sagaRound(
  db: TestDatabase,
  round: { readonly from: number; readonly count: number; readonly starters: number; readonly ends: readonly string[]; readonly start: (i: number) => Promise<unknown> },
): Promise<{ after: string; seconds: number }> {
  const { rows: head } = await db.pool.query<{ position: string }>(`select coalesce(max(global_position), 0)::text as position from events`);
  const after = head[0]!.position;
  const total = round.from + round.count;
  let next = round.from;
  await Promise.all(
    Array.from({ length: round.starters }, async () => {
      while (next < total) await round.start(next++);
    }),
  );
  for (;;) {
    const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events where type = any($1::text[])`, [round.ends]);
    const done = Number(rows[0]!.n);
    if (done >= total) break;
    progress(`${done}/${total} sagas ended`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const { rows } = await db.pool.query<{ seconds: number }>(
    `select extract(epoch from max(recorded_at) filter (where type = any($2::text[])) - min(recorded_at) filter (where type = 'SagaStarted'))::float8 as seconds
       from events where global_position > $1`,
    [after, round.ends],
  );
  return { after, seconds: rows[0]!.seconds };
}
