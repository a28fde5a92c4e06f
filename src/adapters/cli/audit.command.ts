import type { Command } from 'commander';
import { auditMoment } from '../../application/inventory/resource-history.js';
import { GetResourceAsOf, GetResourceHistory } from '../dispatch/inventory.js';
import { printJson, printTable } from './output.js';
import { withApplication } from './with-application.js';

/** `cloudledger audit <resourceId> [--as-of T]`: the resource's history from the log, or its state at a time. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description("a resource's history from the log — inventory, spec, drift and the sagas that touched it — or, with --as-of, its state and spec then")
    .argument('<resourceId>', 'e.g. do:droplet:572017320')
    .option('--as-of <time>', 'replay up to this moment (RFC 3339, e.g. 2026-11-22T10:00:00Z)')
    .option('--json', 'machine-readable output')
    .action((resourceId: string, options: { asOf?: string; json?: boolean }) =>
      withApplication(async (dispatch) => {
        if (options.asOf !== undefined) {
          const moment = auditMoment.safeParse(options.asOf);
          if (!moment.success) throw new Error(`--as-of ${moment.error.issues[0]!.message}; got "${options.asOf}"`);
          printJson(await dispatch.query(new GetResourceAsOf(resourceId, new Date(moment.data))));
          return;
        }
        const { events } = await dispatch.query(new GetResourceHistory(resourceId));
        if (options.json) printJson(events);
        else printTable(events.map((e) => ({ ...e, what: summary(e.type, e.data) })), ['at', 'type', 'actor', 'sagaId', 'what']);
      }),
    );
}

function summary(type: string, data: unknown): string {
  const d = data as Record<string, unknown>;
  switch (type) {
    case 'ResourceChanged':
      return (d.changes as { field: string; before: unknown; after: unknown }[]).map((c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`).join(', ');
    case 'SpecRecorded':
      return `v${String(d.version)} ${JSON.stringify(d.spec)}`;
    case 'DriftDetected':
      return `${String(d.field)}: expected ${JSON.stringify(d.expected)}, actual ${JSON.stringify(d.actual)}`;
    case 'StepSucceeded':
    case 'StepFailed':
    case 'StepStarted':
      return String(d.name);
    default:
      return '';
  }
}
