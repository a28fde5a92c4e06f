import type { Command } from 'commander';
import { NotFound } from '../../domain/errors.js';
import type { IacStateRecord } from '../../domain/iac/iac-state.js';
import { ForceUnlockIacState, GetIacHistory, GetIacLock, GetIacState, ListIacStates, LockIacState, UnlockIacState } from '../dispatch/iac.js';
import { printJson, printTable } from './output.js';
import { withApplication } from './with-application.js';

const LIST_PAGE = 500;

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
      withApplication(async (dispatch) => {
        const filter = { resource_type: options.type, provider: options.provider, status: options.status as never };
        const records: IacStateRecord[] = [];
        let cursor: string | undefined;
        do {
          const page = await dispatch.query(new ListIacStates(filter, { limit: LIST_PAGE, cursor }));
          records.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
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
      withApplication(async (dispatch) => {
        const [record, lock] = await Promise.all([
          dispatch.query(new GetIacState(resourceId)).catch((error: unknown) => {
            if (error instanceof NotFound) return null;
            throw error;
          }),
          dispatch.query(new GetIacLock(resourceId)),
        ]);
        const history = options.history ? await dispatch.query(new GetIacHistory(resourceId)) : undefined;
        if (!record && !lock && !history?.length) throw new Error(`no state record for ${resourceId}`);
        if (options.json) return printJson({ record, lock, history });
        printJson(record);
        process.stdout.write(lock ? `locked by ${lock.owner} (${lock.operation}), lock ${'lockId' in lock ? lock.lockId : '(hidden)'}, until ${lock.expiresAt}\n` : 'not locked\n');
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
      withApplication(async (dispatch) => {
        const lock = await dispatch.command(new LockIacState(resourceId, { owner: options.owner, operation: options.operation, ttlSeconds: options.ttl }));
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
      withApplication(async (dispatch) => {
        await dispatch.command(new UnlockIacState(resourceId, options.lockId));
        process.stdout.write(`unlocked ${resourceId}\n`);
      }),
    );

  state
    .command('force-unlock')
    .description("remove someone else's lock (operators only: the holder may still think it holds it)")
    .argument('<resourceId>')
    .argument('<lockId>', 'the lock id to remove, as `state show` prints it')
    .action((resourceId: string, lockId: string) =>
      withApplication(async (dispatch) => {
        const removed = await dispatch.command(new ForceUnlockIacState(resourceId, lockId));
        process.stdout.write(`force-unlocked ${resourceId}: removed lock ${removed.lockId} of ${removed.owner}\n`);
      }),
    );
}
