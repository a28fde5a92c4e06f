import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ADMIN_DATABASE_URL } from '../test/support/database.js';
import { progress, sizeLabel } from './bench-support.js';

/**
 * `npm run bench:report`: runs the benchmark suites at the sizes the scaling report compares, one
 * after another (never two at once on this machine), and writes bench/REPORT.md with its tables
 * and SVG charts (vega-lite), the machine and the date. `npm run bench:report -- event-store:5m`
 * runs only the runs named and keeps the others' figures from bench/report/results.json;
 * `-- --render` runs nothing and writes the report again from that file.
 */

interface Run {
  readonly id: string;
  readonly suite: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** The size the run is at, for the charts. */
  readonly size?: number;
}

interface Figure {
  readonly bench: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  readonly [extra: string]: unknown;
}

const RUNS: readonly Run[] = [
  ...[200_000, 1_000_000, 5_000_000].map((size) => ({ id: `event-store:${sizeLabel(size)}`, suite: 'event-store', env: { STORE_SIZE: String(size) }, size })),
  ...[10_000, 100_000, 1_000_000].map((size) => ({ id: `drift:${sizeLabel(size)}`, suite: 'drift', args: ['detect'], env: { DRIFT_RESOURCES: String(size), DRIFT_COMPARE: 'off' }, size })),
  { id: 'sagas', suite: 'sagas' },
  { id: 'provision', suite: 'provision' },
  { id: 'sustained', suite: 'sustained' },
];

const OUT = 'bench/report';
const RESULTS = `${OUT}/results.json`;

/** Runs one suite as its npm script would, passing its progress through; its figures. */
function runSuite(run: Run): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', `bench/${run.suite}.bench.ts`, ...(run.args ?? [])], {
      env: { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk.toString().replace(/^(?=.)/gm, `  [${run.id}] `)));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${run.id} exited with ${code}`));
      resolve(out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Figure));
    });
  });
}

async function machine(): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
      `select name, setting, unit from pg_settings where name in ('shared_buffers', 'work_mem', 'synchronous_commit', 'max_connections')`,
    );
    return {
      date: new Date().toISOString(),
      cores: String(os.cpus().length),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      postgresql: rows[0]!.server_version,
      'postgresql settings': settings.rows.map((s) => `${s.name}=${s.setting}${s.unit ?? ''}`).join(', '),
    };
  } finally {
    await client.end();
  }
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parseVega(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/** A detection run's time to the millisecond (its figure's value is rounded to a tenth). */
const detectSeconds = (results: Record<string, Figure[]>, id: string): number | undefined =>
  results[id]?.find((f) => f.figure.startsWith('detect_') && f.figure.endsWith('_s'))?.seconds as number | undefined;

const figureOf = (results: Record<string, Figure[]>, id: string, figure: string): Figure | undefined => results[id]?.find((f) => f.figure === figure);

async function charts(results: Record<string, Figure[]>): Promise<string[]> {
  const written: string[] = [];
  const write = async (name: string, spec: TopLevelSpec) => {
    writeFileSync(`${OUT}/${name}.svg`, await svg(spec));
    written.push(name);
  };
  const storeRuns = RUNS.filter((r) => r.suite === 'event-store');
  const throughput = storeRuns.flatMap((run) =>
    (['catchup_events_per_s', 'rebuild_events_per_s'] as const).flatMap((figure) => {
      const found = figureOf(results, run.id, figure);
      return found ? [{ events: run.size, figure: figure === 'catchup_events_per_s' ? 'catch-up' : 'rebuild', per_s: found.value }] : [];
    }),
  );
  if (throughput.length) {
    await write('throughput-vs-store-size', {
      title: 'Reading the log: events per second against events in the store',
      width: 520,
      height: 280,
      data: { values: throughput },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'events', type: 'quantitative', scale: { type: 'log' }, title: 'events in the store (log scale)' },
        y: { field: 'per_s', type: 'quantitative', title: 'events/s', scale: { zero: true } },
        color: { field: 'figure', type: 'nominal', title: null },
      },
    });
  }
  const detection = RUNS.filter((r) => r.suite === 'drift').flatMap((run) => {
    const seconds = detectSeconds(results, run.id);
    return seconds === undefined ? [] : [{ resources: run.size!, seconds }];
  });
  if (detection.length) {
    const first = detection[0]!;
    const linear = detection.map((d) => ({ resources: d.resources, seconds: (first.seconds * d.resources) / first.resources, line: `linear from ${sizeLabel(first.resources)}` }));
    await write('detection-vs-fleet-size', {
      title: 'Drift detection: seconds against resources (1% drifted)',
      width: 520,
      height: 280,
      data: { values: [...detection.map((d) => ({ ...d, line: 'measured' })), ...linear] },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'resources', type: 'quantitative', scale: { type: 'log' }, title: 'resources (log scale)' },
        y: { field: 'seconds', type: 'quantitative', scale: { type: 'log' }, title: 'seconds (log scale)' },
        color: { field: 'line', type: 'nominal', title: null },
        strokeDash: { field: 'line', type: 'nominal', legend: null },
      },
    });
  }
  const timeline = figureOf(results, 'sustained', 'timeline');
  if (timeline) {
    const curve = timeline.curve as { t: number; posted: number; completed: number }[];
    await write('sustained-drain', {
      title: 'Sustained: sagas posted and completed against one serve',
      width: 520,
      height: 280,
      data: { values: curve.flatMap((c) => [{ t: c.t, sagas: c.posted, line: 'posted' }, { t: c.t, sagas: c.completed, line: 'completed' }]) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds' },
        y: { field: 'sagas', type: 'quantitative', title: 'sagas' },
        color: { field: 'line', type: 'nominal', title: null },
      },
    });
  }
  return written;
}

interface Target {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

function targets(results: Record<string, Figure[]>): Target[] {
  const value = (id: string, figure: string) => figureOf(results, id, figure)?.value;
  const shown = (v: number | undefined, unit = '') => (v === undefined ? 'not run' : `${v}${unit}`);
  const catchup = [value('event-store:200k', 'catchup_events_per_s'), value('event-store:5m', 'catchup_events_per_s')];
  const rebuild = [value('event-store:200k', 'rebuild_events_per_s'), value('event-store:5m', 'rebuild_events_per_s')];
  const within = ([small, big]: (number | undefined)[]) => (small === undefined || big === undefined ? undefined : big >= 0.85 * small);
  const burst = value('sagas', 'sagas_per_s');
  const drain = value('sustained', 'drain_sagas_per_s');
  const detect = ['drift:10k', 'drift:100k', 'drift:1m'].map((id) => detectSeconds(results, id));
  const single = value('event-store:200k', 'single_event_appends_vs_pgbench');
  const batch = value('event-store:200k', 'batch10_appends_vs_pgbench');
  const p99 = value('sagas', 'step_latency_p99_ms');
  const coldBurst = value('sagas', 'cold_sagas_per_s');
  const coldP99 = value('sagas', 'cold_step_latency_p99_ms');
  const provision = value('provision', 'sagas_per_s');
  const coldProvision = value('provision', 'cold_sagas_per_s');
  const ready = value('sustained', 'ready_200_share');
  const idle = value('sustained', 'projections_at_start');
  const opt = (v: number | undefined, ok: (n: number) => boolean) => (v === undefined ? undefined : ok(v));
  return [
    { what: 'single-event appends vs pgbench on append_events', figure: shown(single), target: '≥ 0.75', met: opt(single, (n) => n >= 0.75) },
    { what: '10-event appends vs pgbench', figure: shown(batch), target: '≥ 0.75', met: opt(batch, (n) => n >= 0.75) },
    {
      what: 'sagas/s, 5 no-op steps, 2 processes × 4 workers, after a warm-up round (step latency p99)',
      figure: `${shown(burst)} (p99 ${shown(p99, ' ms')}); the warm-up round, on fresh processes: ${shown(coldBurst)} (p99 ${shown(coldP99, ' ms')})`,
      target: '≥ 250, p99 ≤ 20 ms',
      met: burst === undefined || p99 === undefined ? undefined : burst >= 250 && p99 <= 20,
    },
    {
      what: 'provision sagas/s, in-process simulator, no delay, after a warm-up round',
      figure: `${shown(provision)}; the warm-up round, on a fresh process: ${shown(coldProvision)}`,
      target: '≥ 150',
      met: opt(provision, (n) => n >= 150),
    },
    { what: 'catch-up, 5M vs 0.2M events in the store', figure: `${shown(catchup[1])} vs ${shown(catchup[0])}`, target: 'within 15%', met: within(catchup) },
    { what: 'rebuild, 5M vs 0.2M events in the store', figure: `${shown(rebuild[1])} vs ${shown(rebuild[0])}`, target: 'within 15%', met: within(rebuild) },
    {
      what: 'drift detect at 10k, 100k and 1M resources, 1% drifted',
      figure: detect.map((d) => shown(d, ' s')).join(', '),
      target: '≤ 3 s at 1M',
      met: opt(detect[2], (n) => n <= 3),
    },
    {
      what: 'sustained: 30,000 sagas against one process — drain rate vs the burst figure',
      figure: `${shown(drain)} vs ${shown(burst)}`,
      target: '≥ 0.8',
      met: drain === undefined || burst === undefined ? undefined : drain >= 0.8 * burst,
    },
    { what: 'sustained: /health/ready answered 200', figure: ready === undefined ? 'not run' : `${(ready * 100).toFixed(1)}% of samples`, target: '100%', met: opt(ready, (n) => n === 1) },
    {
      what: 'idle projections (no saga event is theirs) after the sustained run: checkpoints still at -1/-1',
      figure: shown(idle),
      target: '0: moved past what they skipped',
      met: opt(idle, (n) => n === 0),
    },
  ];
}

function markdown(results: Record<string, Figure[]>, host: Record<string, string>, chartNames: string[]): string {
  const lines: string[] = [];
  lines.push('# Benchmark report', '');
  lines.push(`Written by \`npm run bench:report\` (bench/report.ts) on ${host.date!.slice(0, 10)}. Every figure is from the run recorded in`);
  lines.push('`bench/report/results.json`; the suites ran one after another on this machine, against its local PostgreSQL.', '');
  lines.push('## Machine', '', '| | |', '| --- | --- |');
  for (const [k, v] of Object.entries(host)) lines.push(`| ${k} | ${v} |`);
  lines.push('', '## Targets (issue 17)', '', '| figure | measured | target | met |', '| --- | --- | --- | --- |');
  for (const t of targets(results)) lines.push(`| ${t.what} | ${t.figure} | ${t.target} | ${t.met === undefined ? '–' : t.met ? 'yes' : '**no**'} |`);
  lines.push('');
  for (const name of chartNames) lines.push(`![${name}](report/${name}.svg)`, '');
  lines.push('## Every figure', '', '| run | figure | value | unit |', '| --- | --- | --- | --- |');
  for (const run of RUNS) {
    for (const f of results[run.id] ?? []) {
      if (f.figure === 'timeline') continue;
      lines.push(`| ${run.id} | ${f.figure} | ${f.value} | ${f.unit} |`);
    }
  }
  lines.push('', 'Each run prints these as JSON lines, with more detail (counts, seconds, breakdowns); `results.json` keeps them whole.', '');
  return lines.join('\n');
}

mkdirSync(OUT, { recursive: true });
// `-- --render`: no run, the report written again from results.json
const render = process.argv.includes('--render');
const only = process.argv.slice(2).filter((arg) => arg !== '--render');
const unknown = only.filter((id) => !RUNS.some((r) => r.id === id));
if (unknown.length) throw new Error(`no run ${unknown.join(', ')}; the runs: ${RUNS.map((r) => r.id).join(', ')}`);
const previous = (only.length || render) && existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { machine: Record<string, string>; results: Record<string, Figure[]> }) : undefined;
const results: Record<string, Figure[]> = previous?.results ?? {};
for (const run of render ? [] : RUNS.filter((r) => only.length === 0 || only.includes(r.id))) {
  progress(`== ${run.id}`);
  const started = performance.now();
  results[run.id] = await runSuite(run);
  progress(`== ${run.id}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
const host = render && previous ? previous.machine : await machine();
writeFileSync(RESULTS, `${JSON.stringify({ machine: host, results }, null, 2)}\n`);
const chartNames = await charts(results);
writeFileSync('bench/REPORT.md', markdown(results, host, chartNames));
progress(`wrote bench/REPORT.md and ${chartNames.length} charts in ${OUT}/`);
