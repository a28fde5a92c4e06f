import type { Command } from 'commander';
import { InvalidInput } from '../../domain/errors.js';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { dropletSagaDefinitions } from '../../application/provisioning/droplet.definitions.js';
import { DEFAULT_DROPLET_TIMING } from '../../application/provisioning/steps/index.js';
import type { CloudProvider } from '../../domain/cloud/cloud.port.js';
import type { Infrastructure } from '../app/infrastructure.js';
import { createSagaEngine, type SagaEngine } from '../saga/saga-engine.js';
import { printJson, printTable } from './output.js';
import { withInfrastructure } from './with-infrastructure.js';

const CLI_ACTOR = 'cli';
const cliContext = () => ({ actor: CLI_ACTOR, correlationId: `cli-${process.pid}-${Date.now()}`, causationId: null });

/** The CLI reaches the database directly: whoever runs it has platform_admin's reach, no more (internal definitions stay internal). */
const CLI_CALLER = { role: 'platform_admin' } as const;

/**
 * The CLI starts sagas and reads them; `serve`'s workers run their steps. The definitions are here
 * for their input schemas, so the droplet steps get a cloud that refuses to be called.
 */
const NO_CLOUD_HERE = new Proxy({} as CloudProvider, {
  get: () => () => Promise.reject(new Error('the CLI does not run saga steps: the workers in `cloudledger serve` do')),
});

function withSagas(work: (engine: SagaEngine, infra: Infrastructure) => Promise<void>): Promise<void> {
  return withInfrastructure((infra) =>
    work(
      createSagaEngine({
        orm: infra.orm,
        eventStore: infra.eventStore,
        databaseUrl: infra.databaseUrl,
        demoDefinitions: infra.config.sagaDemoDefinitions,
        definitions: dropletSagaDefinitions({ cloud: NO_CLOUD_HERE, store: infra.eventStore, timing: DEFAULT_DROPLET_TIMING }),
      }),
      infra,
    ),
  );
}

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
        withSagas(async ({ service }, infra) => {
          const request = {
            kind: options.kind,
            definition: options.definition,
            inputs: parseInputs(options.inputs),
            ...(options.definitionVersion ? { version: Number(options.definitionVersion) } : {}),
            ...(options.deploymentId ? { deploymentId: options.deploymentId } : {}),
          };
          const ctx = cliContext();
          let sagaId: string;
          let replayed = false;
          if (options.idempotencyKey === undefined) ({ sagaId } = await service.start(request, ctx, CLI_CALLER));
          else {
            const key = IdempotentCommands.parseKey(options.idempotencyKey);
            const outcome = await new IdempotentCommands(infra.eventStore).run(
              { principalId: CLI_ACTOR, key, method: 'POST', path: '/api/v1/sagas', body: request },
              ctx,
              async (seed) => ({ status: 202, body: await service.start(request, { ...ctx, idempotencySeed: seed }, CLI_CALLER) }),
            );
            ({ sagaId } = outcome.response.body as { sagaId: string });
            replayed = outcome.replayed;
          }
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
      withSagas(async ({ readModel }) => {
        const page = await readModel.list({ status: options.status, kind: options.kind, deploymentId: options.deploymentId, limit: Math.max(1, Number(options.limit) || 50) });
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
      withSagas(async ({ service }) => {
        const view = await service.get(id);
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
      withSagas(async ({ service }) => {
        const view = await service.retryCompensation(id, cliContext());
        process.stdout.write(`Saga ${view.id} is compensating again (status ${view.status}).\n`);
      }),
    );

  sagas
    .command('cancel')
    .description('request cancellation: completed steps are compensated, then the saga ends cancelled')
    .argument('<id>', 'the saga id')
    .action((id: string) =>
      withSagas(async ({ service }) => {
        const view = await service.cancel(id, cliContext());
        process.stdout.write(`Cancellation of saga ${view.id} requested (status ${view.status}).\n`);
      }),
    );
}
