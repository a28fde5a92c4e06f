import type { Logger } from 'pino';
import { type AppConfig, CONFIG_DEFAULTS } from '../../config/config.js';
import type { Metrics } from '../../metrics/metrics.js';
import { DigitalOceanClient } from './digitalocean.client.js';
import { type RunningSimulator, startSimulator } from './simulator/simulator.js';

/** DigitalOcean as the service talks to it: a client per token purpose, and the simulator when it stands in. */
export interface DigitalOceanConnection {
  /** Reads and writes: the sagas. */
  readonly provisioning: DigitalOceanClient;
  /** Lists only: the inventory sync, on its own token (rate limits are per token). */
  readonly sync: DigitalOceanClient;
  /** Stops the in-process simulator, when one stands in. */
  close(): Promise<void>;
}

/** The real API when a token is configured; else a simulator started in this process (the log says so). */
export async function connectDigitalOcean(config: AppConfig, logger: Logger, metrics?: Metrics): Promise<DigitalOceanConnection> {
  let simulator: RunningSimulator | null = null;
  let baseUrl = config.digitalOceanApiUrl;
  let token = config.digitalOceanToken;
  if (token === undefined && baseUrl !== CONFIG_DEFAULTS.DIGITALOCEAN_API_URL) {
    // an API of the operator's choosing without a token: a standalone simulator (any token will do)
    token = 'simulator-token';
    logger.warn({ api: baseUrl }, 'DIGITALOCEAN_TOKEN is not set: talking to DIGITALOCEAN_API_URL without a token (a standalone simulator)');
  } else if (token === undefined) {
    // its droplets live in memory and go with the process, while the event store remembers them: ids
    // from the clock keep a restarted simulator from handing out an id the inventory already knows
    simulator = await startSimulator({ host: '127.0.0.1', firstDropletId: Math.floor(Date.now() / 100) });
    baseUrl = simulator.url;
    token = 'simulator-token';
    logger.warn(
      { simulator: simulator.url },
      'DIGITALOCEAN_TOKEN is not set: using the in-process DigitalOcean simulator, not DigitalOcean (its droplets are forgotten when the process stops)',
    );
  } else {
    logger.info({ api: baseUrl, syncToken: config.digitalOceanSyncToken ? 'separate' : 'the provisioning token' }, 'DigitalOcean API');
  }
  return {
    provisioning: new DigitalOceanClient({ baseUrl, token, purpose: 'provisioning', metrics }),
    sync: new DigitalOceanClient({ baseUrl, token: config.digitalOceanSyncToken ?? token, purpose: 'sync', metrics }),
    close: async () => {
      await simulator?.close();
    },
  };
}
