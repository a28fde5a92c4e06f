import type { Command } from 'commander';
import { hasHistory } from '../../domain/iac/iac-state-store.port.js';
import { printJson, printTable } from './output.js';
import { withInfrastructure } from './with-infrastructure.js';

/** The CLI acts as an operator at the console: its actor is recorded as such in every event. */
const context = { actor: 'cli', correlationId: undefined, causationId: null };

export function registerStateCommands(program: Command): void {
  const state = program.command('state').description('IaC state records and their locks');

  state
    .command('list')
    .description('list records; filters combine')
    .option('--type <resource_type>', 'only this resource type')
    .option('--provider <provider>', 'only this provider')
    .option('--status <status>', 'only this status (planned, provisioning, active, destroying, destroyed, error)')
    .option('--json', 'machine-readable output')
    .action((options: { type?: string; provider?: string; status?: string; json?: boolean }) =>
      withInfrastructure(async (infrastructure) => {
        const iacState = await infrastructure.iacState();
        const records = await iacState.list({ resource_type: options.type, provider: options.provider, status: options.status as never });
        if (options.json) printJson(records);
        else printTable(records, ['resource_id', 'resource_type', 'provider', 'status', 'provider_id', 'updated_at']);
      }),
    );

  state
    .command('show')
    .description('one record, its lock, and with --history every change with who and when')
    .argument('<resourceId>')
    .option('--history', 'also list every change (event-sourced backend)')
    .option('--json', 'machine-readable output')
    .action((resourceId: string, options: { history?: boolean; json?: boolean }) =>
      withInfrastructure(async (infrastructure) => {
        const iacState = await infrastructure.iacState();
        const [record, lock] = await Promise.all([iacState.get(resourceId), iacState.getLock(resourceId)]);
        const history = options.history && hasHistory(iacState) ? await iacState.history(resourceId) : undefined;
        if (!record && !lock && !history?.length) throw new Error(`no state record for ${resourceId}`);
        if (options.json) return printJson({ record, lock, history });
        printJson(record);
        process.stdout.write(lock ? `locked by ${lock.owner} (${lock.operation}), lock ${lock.lockId}, until ${lock.expiresAt}\n` : 'not locked\n');
        if (history) printTable(history, Object.keys(history[0] ?? {}).filter((k) => k !== 'data') as never);
      }),
    );

  state
    .command('lock')
    .description('take the lock; prints the lock id to unlock with')
    .argument('<resourceId>')
    .requiredOption('--owner <owner>', 'who holds it, e.g. a pipeline run')
    .requiredOption('--operation <operation>', 'what for, e.g. apply')
    .option('--ttl <seconds>', 'how long before it expires', (v) => Number(v))
    .option('--json', 'machine-readable output')
    .action((resourceId: string, options: { owner: string; operation: string; ttl?: number; json?: boolean }) =>
      withInfrastructure(async (infrastructure) => {
        const iacState = await infrastructure.iacState();
        const lock = await iacState.lock(resourceId, { owner: options.owner, operation: options.operation, ttlSeconds: options.ttl }, context);
        if (options.json) printJson(lock);
        else process.stdout.write(`locked ${resourceId}: lock id ${lock.lockId}, until ${lock.expiresAt}\n`);
      }),
    );

  state
    .command('unlock')
    .description('release a lock you hold')
    .argument('<resourceId>')
    .requiredOption('--lock-id <lockId>', 'the id the lock was taken with')
    .action((resourceId: string, options: { lockId: string }) =>
      withInfrastructure(async (infrastructure) => {
        const iacState = await infrastructure.iacState();
        await iacState.unlock(resourceId, options.lockId, context);
        process.stdout.write(`unlocked ${resourceId}\n`);
      }),
    );

  state
    .command('force-unlock')
    .description("remove someone else's lock (operators only: the holder may still think it holds it)")
    .argument('<resourceId>')
    .argument('<lockId>', 'the lock id to remove, as `state show` prints it')
    .action((resourceId: string, lockId: string) =>
      withInfrastructure(async (infrastructure) => {
        const iacState = await infrastructure.iacState();
        const removed = await iacState.forceUnlock(resourceId, lockId, context);
        process.stdout.write(`force-unlocked ${resourceId}: removed lock ${removed.lockId} of ${removed.owner}\n`);
      }),
    );
}
