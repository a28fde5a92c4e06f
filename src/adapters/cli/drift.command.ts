import type { Command } from 'commander';
import type { z } from 'zod';
import { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { driftPolicyRequestSchema } from '../../domain/drift/drift-policy.js';
import { InvalidInput, toFieldIssues } from '../../domain/errors.js';
import { CreateDriftPolicy, EndDriftPolicy, type GroupAction, ListDrift, ListDriftGroups, ListDriftPolicies, ResolveDriftGroup } from '../dispatch/drift.js';
import type { DriftFilter } from '../inventory/drift-inbox.js';
import { printJson, printTable } from './output.js';
import { withApplication } from './with-application.js';

const STATUSES = ['open', 'ignored', 'accepted', 'reverted', 'stale', 'resource_deleted', 'all'] as const;
const ACTIONS: readonly GroupAction[] = ['accept', 'revert', 'ignore'];

const limitOf = (text: string): number => Math.min(500, Math.max(1, Number(text) || 50));
const show = (value: unknown): string => (value === null || value === undefined ? '-' : JSON.stringify(value));

/** The options naming an ignore policy's terms, checked as the HTTP route checks its body. */
function policyTerms<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInput(toFieldIssues(parsed.error));
  return parsed.data;
}

/** `drift list|groups|resolve-group` and `drift policies list|create|end`, through the Dispatcher as the HTTP routes go. */
export function registerDriftCommands(program: Command): void {
  const drift = program.command('drift').description('drift: the inbox and closed drift, groups by cause resolved in bulk, ignore policies');

  drift
    .command('list')
    .description('drift newest first: the open inbox by default')
    .option('--status <status>', `one of ${STATUSES.join(', ')}`, 'open')
    .option('--resource <resourceId>', 'only drift on this resource, e.g. do:droplet:572017320')
    .option('--field <field>', 'only drift on this field, e.g. size_slug')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action((options: { status: string; resource?: string; field?: string; limit: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        if (!(STATUSES as readonly string[]).includes(options.status)) throw new InvalidInput([{ path: 'status', message: `must be one of ${STATUSES.join(', ')}` }]);
        const filter: DriftFilter = {
          status: options.status as DriftFilter['status'],
          limit: limitOf(options.limit),
          ...(options.resource ? { resourceId: options.resource } : {}),
          ...(options.field ? { field: options.field } : {}),
        };
        const page = await dispatch.query(new ListDrift(filter));
        if (options.json) return printJson(page);
        printTable(
          page.items.map((d) => ({ ...d, expected: show(d.expected), actual: show(d.actual) })),
          ['id', 'resourceId', 'field', 'expected', 'actual', 'status', 'detectedAt', 'resolvedBy', 'policyId', 'ignoredUntil'],
        );
      }),
    );

  drift
    .command('groups')
    .description('open drift grouped by cause (field, spec value, live value), the largest first')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action((options: { limit: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const page = await dispatch.query(new ListDriftGroups({ limit: limitOf(options.limit) }));
        if (options.json) return printJson(page);
        printTable(
          page.items.map((g) => ({ ...g, expected: show(g.expected), actual: show(g.actual) })),
          ['groupId', 'field', 'expected', 'actual', 'count', 'oldestDetectedAt', 'newestDetectedAt'],
        );
      }),
    );

  drift
    .command('resolve-group')
    .description('accept, revert or ignore every open drift of a group, each as its own command; --dry-run lists them and touches nothing')
    .argument('<groupId>', 'as `drift groups` shows it')
    .argument('<action>', ACTIONS.join(' | '))
    .option('--dry-run', 'list the drift it would touch; touch nothing')
    .option('--owner <owner>', 'ignore: who owns the exception')
    .option('--reason <reason>', 'ignore: why')
    .option('--expires-at <time>', 'ignore: until when (RFC 3339, at most 180 days away)')
    .option('--idempotency-key <key>', 'run it at most once: the same key and request within 24 h prints the first answer again')
    .option('--json', 'machine-readable output')
    .action(
      (groupId: string, action: string, options: { dryRun?: boolean; owner?: string; reason?: string; expiresAt?: string; idempotencyKey?: string; json?: boolean }) =>
        withApplication(async (dispatch) => {
          if (!(ACTIONS as readonly string[]).includes(action)) throw new InvalidInput([{ path: 'action', message: `must be one of ${ACTIONS.join(', ')}` }]);
          const terms =
            action === 'ignore'
              ? policyTerms(driftPolicyRequestSchema.pick({ owner: true, reason: true, expiresAt: true }), { owner: options.owner, reason: options.reason, expiresAt: options.expiresAt })
              : null;
          const idempotencyKey = options.idempotencyKey === undefined ? undefined : IdempotentCommands.parseKey(options.idempotencyKey);
          let replayed = false;
          const answer = await dispatch.command(new ResolveDriftGroup(groupId, action as GroupAction, options.dryRun === true, terms), { idempotencyKey, onReplayed: () => (replayed = true) });
          if (options.json) return printJson({ ...answer, replayed });
          const more = answer.more ? ` The group holds more than ${answer.limit}: run it again for the rest.` : '';
          if (answer.dryRun) {
            process.stdout.write(`Dry run: ${action} would touch ${answer.items.length} drift; nothing was touched.${more}\n`);
            printTable(answer.items, ['driftId', 'resourceId']);
            return;
          }
          const again = replayed ? ' (the answer of an earlier request with this key; nothing ran again)' : '';
          process.stdout.write(`${action}: ${answer.succeeded} succeeded, ${answer.failed} failed${again}.${more}\n`);
          printTable(
            answer.items.map((i) => ({ ...i, error: i.error ? `${i.error.code}: ${i.error.message}` : null })),
            ['driftId', 'resourceId', 'outcome', 'error'],
          );
          if (answer.failed > 0) process.exitCode = 1;
        }),
    );

  const policies = drift.command('policies').description('ignore policies: drift they cover is recorded ignored, out of the inbox, until they end');

  policies
    .command('list')
    .description('every policy, newest first: live, expired or ended, with what each ignores and has matched')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action((options: { limit: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const page = await dispatch.query(new ListDriftPolicies({ limit: limitOf(options.limit) }));
        if (options.json) return printJson(page);
        printTable(page.items, ['policyId', 'resource', 'field', 'owner', 'status', 'expiresAt', 'ignoring', 'matched', 'createdBy', 'reason']);
      }),
    );

  policies
    .command('create')
    .description('ignore drift on matching resources and fields until --expires-at; applied at once')
    .requiredOption('--resource <glob>', 'resource ids or names, e.g. do:droplet:* or web-*')
    .requiredOption('--field <glob>', 'field paths, e.g. size_slug or *, or tags:<glob> for tags by key, e.g. tags:pool-*')
    .requiredOption('--owner <owner>', 'who owns the exception')
    .requiredOption('--reason <reason>', 'why')
    .requiredOption('--expires-at <time>', 'until when (RFC 3339, at most 180 days away)')
    .option('--idempotency-key <key>', 'make it at most once: the same key and request within 24 h prints the first policy again')
    .option('--json', 'machine-readable output')
    .action((options: { resource: string; field: string; owner: string; reason: string; expiresAt: string; idempotencyKey?: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        const request = policyTerms(driftPolicyRequestSchema, { resource: options.resource, field: options.field, owner: options.owner, reason: options.reason, expiresAt: options.expiresAt });
        const idempotencyKey = options.idempotencyKey === undefined ? undefined : IdempotentCommands.parseKey(options.idempotencyKey);
        const policy = await dispatch.command(new CreateDriftPolicy(request), { idempotencyKey });
        if (options.json) return printJson(policy);
        process.stdout.write(`Policy ${policy.policyId} ignores ${policy.field} on ${policy.resource} until ${policy.expiresAt}; it ignores ${policy.ignoring} drift now.\n`);
      }),
    );

  policies
    .command('end')
    .description('end a policy before its time: the drift it ignored opens again at once')
    .argument('<policyId>')
    .action((policyId: string) =>
      withApplication(async (dispatch) => {
        await dispatch.command(new EndDriftPolicy(policyId));
        process.stdout.write(`Policy ${policyId} ended.\n`);
      }),
    );
}
