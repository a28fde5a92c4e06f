import { type ChildProcess, spawn } from 'node:child_process';

/** A TypeScript test process (a worker the crash tests kill, the CLI), its output captured. */
export interface TestProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<void>;
}

export function startTestProcess(script: string, env: Record<string, string>, args: readonly string[] = []): TestProcess {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, output: () => output, exited };
}
