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
