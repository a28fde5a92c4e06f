import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCES = join(ROOT, 'console');
const BUILT = join(ROOT, 'dist/console/index.html');

function newestUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestUnder(join(path, entry)));
  }
  return newest;
}

/**
 * The browser tests drive the built console that `serve` serves: build it when dist/console is
 * missing or older than its sources, so `npm test` on a fresh clone tests what `npm run build` makes.
 * `build:console` when the project has it (only the console), else the whole `build`.
 */
export default function buildConsole(): void {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestUnder(SOURCES)) return;
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const script = scripts['build:console'] ? 'build:console' : 'build';
  process.stderr.write(`\nconsole tests: dist/console is ${existsSync(BUILT) ? 'older than console/' : 'missing'}; npm run ${script}\n`);
  const run = spawnSync('npm', ['run', script], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) throw new Error(`npm run ${script} failed (exit ${run.status}): the console tests need the built console`);
  if (!existsSync(BUILT)) throw new Error(`npm run ${script} succeeded but left no ${BUILT}: the console tests need the built console`);
}
