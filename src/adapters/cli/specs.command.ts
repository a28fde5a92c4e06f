import type { Command } from 'commander';
import type { z } from 'zod';
import { declaredSpec } from '../../application/desired-state/declared-spec.js';
import type { SpecAnswer } from '../../application/desired-state/desired-state.service.js';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { InvalidInput, toFieldIssues } from '../../domain/errors.js';
import { AdoptDroplet } from '../dispatch/droplets.js';
import { ApplySpec, DeclareSpec, GetSpec } from '../dispatch/specs.js';
import { printJson, printTable } from './output.js';
import { withApplication } from './with-application.js';

/** A spec from the command line: JSON, checked as the API checks a PUT body. */
function parseSpec(text: string, option: string): z.infer<typeof declaredSpec> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInput([{ path: option, message: `not JSON: ${(error as Error).message}` }]);
  }
  const parsed = declaredSpec.safeParse(value);
  if (!parsed.success) throw new InvalidInput(toFieldIssues(parsed.error).map((i) => ({ path: i.path ? `${option}.${i.path}` : option, message: i.message })));
  return parsed.data;
}

function printSpec(answer: SpecAnswer, json: boolean | undefined): void {
  if (json) return printJson(answer);
  process.stdout.write(`${answer.resourceId}: spec version ${answer.specVersion} (recorded ${answer.recordedAt} by ${answer.recordedBy}${answer.removedAt ? `; removed ${answer.removedAt}` : ''})\n`);
  process.stdout.write(`${JSON.stringify(answer.spec)}\n`);
  if (answer.plan === null) process.stdout.write('No live resource to plan against.\n');
  else if (answer.plan.converged) process.stdout.write('Plan: the live resource agrees with its spec.\n');
  else printTable(answer.plan.changes.map((c) => ({ ...c, desired: JSON.stringify(c.desired), live: JSON.stringify(c.live) })), ['field', 'desired', 'live', 'action']);
}

const keyOf = (key: string | undefined) => (key === undefined ? undefined : IdempotentCommands.parseKey(key));

export function registerSpecCommands(program: Command): void {
  const specs = program.command('specs').description('desired state: show a spec and its plan, declare one, apply it');

  specs
    .command('get')
    .description('the spec of a resource, its version and the plan against the live resource')
    .argument('<resourceId>', 'e.g. do:droplet:572017320')
    .option('--json', 'machine-readable output')
    .action((resourceId: string, options: { json?: boolean }) => withApplication(async (dispatch) => printSpec(await dispatch.query(new GetSpec(resourceId)), options.json)));

  specs
    .command('set')
    .description('declare the desired spec (replaces the recorded one; version + 1) and print the plan; nothing changes in the cloud until `specs apply`')
    .argument('<resourceId>', 'e.g. do:droplet:572017320')
    .requiredOption('--spec <json>', 'the whole spec, e.g. \'{"size_slug":"s-2vcpu-4gb","region":"nyc3","image":"ubuntu-24-04-x64","tags":["web"]}\'')
    .option('--if-version <n>', 'only if the spec is still at this version (0: none yet), as If-Match')
    .option('--json', 'machine-readable output')
    .action((resourceId: string, options: { spec: string; ifVersion?: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const spec = parseSpec(options.spec, '--spec');
        if (options.ifVersion !== undefined && !/^\d{1,9}$/.test(options.ifVersion)) throw new InvalidInput([{ path: '--if-version', message: 'must be a spec version (a whole number)' }]);
        const expected = options.ifVersion === undefined ? undefined : Number(options.ifVersion);
        printSpec(await dispatch.command(new DeclareSpec(resourceId, spec, expected)), options.json);
      }),
    );

  specs
    .command('apply')
    .description('start the saga that converges the droplet on its spec (resize, retag); `serve` runs it')
    .argument('<resourceId>', 'e.g. do:droplet:572017320')
    .option('--idempotency-key <key>', 'apply at most once for this key within 24 h')
    .option('--json', 'machine-readable output')
    .action((resourceId: string, options: { idempotencyKey?: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const started = await dispatch.command(new ApplySpec(resourceId), { idempotencyKey: keyOf(options.idempotencyKey) });
        if (options.json) printJson(started);
        else {
          const left = started.left.map((c) => `${c.field} (${c.action})`).join(', ');
          process.stdout.write(`Started saga ${started.sagaId}: converging ${started.converging.join(' and ')} on spec version ${started.specVersion}.${left ? ` Left: ${left}.` : ''}\n`);
        }
      }),
    );
}

export function registerDropletCommands(program: Command): void {
  const droplets = program.command('droplets').description('droplets: adopt one made outside cloudledger (provision and destroy go through the API)');

  droplets
    .command('adopt')
    .description('put a droplet made outside cloudledger under management: a saga tags it managed and records its spec; `serve` runs it')
    .argument('<dropletId>', 'the DigitalOcean droplet id (the inventory must have seen it: sync first)')
    .option('--spec <json>', 'the spec to record (default: its live size_slug, region and image)')
    .option('--idempotency-key <key>', 'adopt at most once for this key within 24 h')
    .option('--json', 'machine-readable output')
    .action((dropletId: string, options: { spec?: string; idempotencyKey?: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        if (!/^[1-9]\d{0,14}$/.test(dropletId)) throw new InvalidInput([{ path: 'dropletId', message: 'must be a positive integer' }]);
        const spec = options.spec === undefined ? undefined : parseSpec(options.spec, '--spec');
        const { sagaId } = await dispatch.command(new AdoptDroplet(Number(dropletId), spec), { idempotencyKey: keyOf(options.idempotencyKey) });
        if (options.json) printJson({ sagaId });
        else process.stdout.write(`Started saga ${sagaId}: adopting droplet ${dropletId}.\n`);
      }),
    );
}
