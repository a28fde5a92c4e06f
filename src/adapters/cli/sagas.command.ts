import type { Command } from 'commander';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { InvalidInput } from '../../domain/errors.js';
import { CancelSaga, GetSaga, ListSagas, RetrySagaCompensation, StartSaga } from '../dispatch/sagas.js';
import { printJson, printTable } from './output.js';
import { withApplication } from './with-application.js';

function parseInputs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInput([{ path: 'inputs', message: `not JSON: ${(error as Error).message}` }]);
  }
}

export function registerSagaCommands(program: Command): void {
  const sagas = program.command('sagas').description('sagas: start, list, show, cancel (the workers run them in `serve`)');

  sagas
    .command('start')
    .description('start a saga; prints its id')
    .requiredOption('--definition <name>', 'the saga definition, e.g. script or noop')
    .option('--kind <kind>', 'what the saga is for (free text, filterable)', 'manual')
    .option('--inputs <json>', 'the saga inputs as JSON', '{}')
    .option('--definition-version <n>', 'definition version (default: the latest)')
    .option('--deployment-id <id>', 'group the saga under a deployment')
    .option('--idempotency-key <key>', 'run it at most once: the same key and request within 24 h prints the first saga again and starts nothing')
    .option('--json', 'machine-readable output')
    .action(
      (options: { definition: string; kind: string; inputs: string; definitionVersion?: string; deploymentId?: string; idempotencyKey?: string; json?: boolean }) =>
        withApplication(async (dispatch) => {
          const request = {
            kind: options.kind,
            definition: options.definition,
            inputs: parseInputs(options.inputs),
            ...(options.definitionVersion ? { version: Number(options.definitionVersion) } : {}),
            ...(options.deploymentId ? { deploymentId: options.deploymentId } : {}),
          };
          let replayed = false;
          const idempotencyKey = options.idempotencyKey === undefined ? undefined : IdempotentCommands.parseKey(options.idempotencyKey);
          const { sagaId } = await dispatch.command(new StartSaga(request), { idempotencyKey, onReplayed: () => (replayed = true) });
          if (options.json) printJson({ sagaId, replayed });
          else process.stdout.write(replayed ? `Saga ${sagaId} was started by an earlier request with this key; nothing new started.\n` : `Started saga ${sagaId}.\n`);
        }),
    );

  sagas
    .command('list')
    .description('sagas, newest first')
    .option('--status <status>', 'running, compensating, stuck, completed, rolled_back, cancelled or failed')
    .option('--kind <kind>')
    .option('--deployment-id <id>')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action((options: { status?: string; kind?: string; deploymentId?: string; limit: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const page = await dispatch.query(new ListSagas({ status: options.status, kind: options.kind, deploymentId: options.deploymentId, limit: Math.max(1, Number(options.limit) || 50) }));
        if (options.json) printJson(page);
        else printTable(page.items, ['id', 'kind', 'definition', 'status', 'currentStep', 'deploymentId', 'startedAt', 'finishedAt', 'error']);
      }),
    );

  sagas
    .command('show')
    .description('one saga and its step timeline')
    .argument('<id>', 'the saga id')
    .option('--json', 'machine-readable output')
    .action((id: string, options: { json?: boolean }) =>
      withApplication(async (dispatch) => {
        const view = await dispatch.query(new GetSaga(id));
        if (options.json) return printJson(view);
        process.stdout.write(`saga ${view.id}  ${view.definition}@${view.version}  kind ${view.kind}  ${view.status}${view.error ? `: ${view.error}` : ''}\n\n`);
        printTable(view.steps, ['index', 'name', 'status', 'attempts', 'startedAt', 'finishedAt', 'compensatedAt', 'error']);
        const failures = view.steps.flatMap((s) => s.attemptHistory.filter((a) => a.error !== null).map((a) => ({ step: s.name, ...a })));
        if (failures.length > 0) {
          process.stdout.write('\nattempts that failed:\n');
          printTable(failures, ['step', 'attempt', 'outcome', 'code', 'error', 'startedAt', 'endedAt']);
        }
      }),
    );

  sagas
    .command('retry-compensation')
    .description('a failed saga tries its compensation again (after you fixed what made it fail)')
    .argument('<id>', 'the saga id')
    .action((id: string) =>
      withApplication(async (dispatch) => {
        const view = await dispatch.command(new RetrySagaCompensation(id));
        process.stdout.write(`Saga ${view.id} is compensating again (status ${view.status}).\n`);
      }),
    );

  sagas
    .command('cancel')
    .description('request cancellation: completed steps are compensated, then the saga ends cancelled')
    .argument('<id>', 'the saga id')
    .option('--reason <text>', 'why: kept on the saga (cancelReason)')
    .action((id: string, options: { reason?: string }) =>
      withApplication(async (dispatch) => {
        const view = await dispatch.command(new CancelSaga(id, options.reason));
        process.stdout.write(`Cancellation of saga ${view.id} requested (status ${view.status}).\n`);
      }),
    );
}
