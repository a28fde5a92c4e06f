import type { Command } from 'commander';
import { startSimulator } from '../cloud/digitalocean/simulator/simulator.js';
import { stopTelemetry } from '../telemetry/telemetry.js';

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description('run the DigitalOcean API simulator (control API under /_sim)')
    .option('--port <port>', 'port to listen on (0: any free port)', '8089')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--seed <seed>', 'seed of the simulated randomness', '1')
    .action(async (options: { port: string; host: string; seed: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be an integer from 0 to 65535, not ${options.port}`);
      const sim = await startSimulator({ port, host: options.host, seed: Number(options.seed) || 1 });
      process.stdout.write(`DigitalOcean simulator listening on ${sim.url} (control API: ${sim.url}/_sim/state)\n`);
      const stop = (): void => {
        sim.close().then(
          () => stopTelemetry().finally(() => process.exit(0)),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
