import type { Command } from 'commander';
import { formatPosition, type Position } from '../../domain/event-store/position.js';
import { printJson } from './output.js';
import { withInfrastructure } from './with-infrastructure.js';

/** `events tail`: what is being appended, as it happens. */
export function registerEventCommands(program: Command): void {
  const events = program.command('events').description('the event log');

  events
    .command('tail')
    .description('follow the log live; Ctrl-C stops')
    .option('--stream <prefix>', 'only streams starting with this, e.g. saga- or iac-do:droplet:1')
    .option('--type <type...>', 'only these event types')
    .option('--from-start', 'first print the whole history, then follow')
    .option('--json', 'one JSON object per line')
    .action((options: { stream?: string; type?: string[]; fromStart?: boolean; json?: boolean }) =>
      withInfrastructure(async ({ eventStore }) => {
        const filter = { streamPrefixes: options.stream ? [options.stream] : undefined, eventTypes: options.type };
        let from: Position | undefined;
        if (!options.fromStart) for await (const event of eventStore.readAll({ filter })) from = event.position;
        const subscription = eventStore.subscribeToAll({ fromPosition: from, filter });
        const stop = (): void => void subscription.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        for await (const event of subscription) {
          if (options.json) {
            printJson({ ...event, position: formatPosition(event.position) }, { line: true });
            continue;
          }
          const actor = typeof event.metadata.actor === 'string' ? event.metadata.actor : '-';
          process.stdout.write(
            `${event.recordedAt.toISOString()}  ${event.stream}@${event.revision}  ${event.type}  by ${actor}  ${JSON.stringify(event.data)}\n`,
          );
        }
      }),
    );
}
