import type { Command } from 'commander';
import { formatPosition } from '../../domain/event-store/position.js';
import { projectionCatalogue } from '../../projections/projection-catalogue.js';
import type { AnyProjection } from '../../projections/projection.js';
import { withInfrastructure } from './with-infrastructure.js';
import { printJson, printTable, progressLine } from './output.js';

function select(name: string | undefined, all: boolean): AnyProjection[] {
  if (all || !name) return [...projectionCatalogue];
  const found = projectionCatalogue.find((p) => p.name === name);
  if (!found) {
    const known = projectionCatalogue.map((p) => p.name).join(', ') || '(none yet)';
    throw new Error(`unknown projection "${name}"; known: ${known}`);
  }
  return [found];
}

export function registerProjectionCommands(program: Command): void {
  const projections = program.command('projections').description('read-model projections: status and rebuild');

  projections
    .command('status')
    .description('position, lag and last error of every projection')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withInfrastructure(async ({ runner }) => {
        const statuses = await runner.status(projectionCatalogue);
        if (options.json) printJson(statuses);
        else printTable(statuses, ['name', 'status', 'position', 'eventsApplied', 'lagEvents', 'lagSeconds', 'lastError']);
      }),
    );

  projections
    .command('rebuild')
    .description('replay the log into fresh tables and swap them in; live traffic keeps working')
    .argument('[name]', 'the projection to rebuild')
    .option('--all', 'rebuild every projection')
    .option('--json', 'machine-readable output')
    .action((name: string | undefined, options: { all?: boolean; json?: boolean }) =>
      withInfrastructure(async ({ runner, eventStore }) => {
        if (!name && !options.all) throw new Error('name a projection or pass --all');
        const results = [];
        for (const projection of select(name, options.all ?? false)) {
          let total = 0;
          for await (const _ of eventStore.readAll({ filter: { eventTypes: projection.eventTypes } })) total++;
          const started = Date.now();
          const result = await runner.rebuild(projection, (p) => {
            const left = p.eventsPerSecond > 0 ? Math.max(0, (total - p.eventsApplied) / p.eventsPerSecond) : 0;
            progressLine(
              `${p.projection}: ${p.eventsApplied}/${total} events, ${Math.round(p.eventsPerSecond)} events/s, ` +
                `position ${formatPosition(p.position)}, about ${left.toFixed(0)} s left`,
            );
          });
          if (process.stderr.isTTY) process.stderr.write('\n');
          results.push({ name: projection.name, eventsApplied: result.eventsApplied, seconds: (Date.now() - started) / 1000 });
        }
        if (options.json) printJson(results);
        else printTable(results, ['name', 'eventsApplied', 'seconds']);
      }),
    );
}
