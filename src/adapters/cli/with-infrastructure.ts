import { type Infrastructure, openInfrastructure } from '../app/infrastructure.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logging/logger.js';

/** Runs one CLI command against the configured database and event store, then closes them. */
export async function withInfrastructure(work: (infrastructure: Infrastructure) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
  const infrastructure = await openInfrastructure(config, logger);
  try {
    await work(infrastructure);
  } finally {
    await infrastructure.close();
  }
}
