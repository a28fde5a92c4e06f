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
