import { Command } from 'commander';
import { startServer } from '../app/server.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { flushTelemetry, stopTelemetry, telemetryStatus } from '../telemetry/telemetry.js';
import { registerAuditCommand } from './audit.command.js';
import { registerDriftCommands } from './drift.command.js';
import { registerEventCommands } from './events.command.js';
import { registerProjectionCommands } from './projections.command.js';
import { registerSagaCommands } from './sagas.command.js';
import { registerSimulatorCommand } from './simulator.command.js';
import { registerDropletCommands, registerSpecCommands } from './specs.command.js';
import { registerStateCommands } from './state.command.js';
import { registerTokenCommands } from './tokens.command.js';

const program = new Command('cloudledger')
  .description('event-sourced control plane for DigitalOcean infrastructure')
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true });

program
  .command('serve')
  .description('run the HTTP API, the projections and the workers')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, pretty: config.nodeEnv === 'development' && process.stdout.isTTY });
    const tracing = telemetryStatus();
    logger.info({ tracing: tracing.enabled, reason: tracing.reason }, `tracing ${tracing.enabled ? 'on' : 'off'}: ${tracing.reason}`);
    const server = await startServer(config, logger);
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: no new requests, projections stop, connections close');
      server.close().then(
        // the last spans go out before the process does
        () => stopTelemetry().finally(() => process.exit(0)),
        (error: unknown) => {
          logger.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

registerTokenCommands(program);
registerProjectionCommands(program);
registerEventCommands(program);
registerStateCommands(program);
registerSagaCommands(program);
registerSpecCommands(program);
registerDropletCommands(program);
registerSimulatorCommand(program);
registerAuditCommand(program);
registerDriftCommands(program);

try {
  await program.parseAsync(process.argv);
  // a command that ends by itself: its spans go out before the process exits (serve's at its shutdown)
  await flushTelemetry();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? 'configuration error:\n' : 'error: '}${(error as Error).message}\n`);
  process.exitCode = 1;
}
