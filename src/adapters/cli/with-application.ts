import { NestFactory } from '@nestjs/core';
import { dropletSagaDefinitions } from '../../application/provisioning/droplet.definitions.js';
import { DEFAULT_DROPLET_TIMING } from '../../application/provisioning/steps/droplet.steps.js';
import type { CloudProvider } from '../../domain/cloud/cloud.port.js';
import { composeApplication } from '../app/application.js';
import type { AppCommand, AppQuery, DispatchContext } from '../dispatch/dispatch-context.js';
import { DispatchModule } from '../dispatch/dispatch.module.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { Metrics } from '../metrics/metrics.js';
import { createSagaEngine } from '../saga/saga-engine.js';
import { withInfrastructure } from './with-infrastructure.js';

/** Recorded as the actor of what the CLI does; also the principal its idempotency keys belong to. */
const CLI_ACTOR = 'cli';

/**
 * The CLI sends commands and queries as the server's routes do; `serve`'s workers run saga steps
 * and syncs against DigitalOcean. The saga definitions are here for their input schemas, so they
 * get a cloud that refuses to be called.
 */
const NO_CLOUD_HERE = new Proxy({} as CloudProvider, {
  get: () => () => Promise.reject(new Error('the CLI does not call DigitalOcean: the workers in `cloudledger serve` do')),
});

/** What a CLI command sends with: whoever runs it acts with platform_admin's reach, as `cli`. */
export interface CliDispatch {
  command<Result>(command: AppCommand<Result>, options?: { readonly idempotencyKey?: string; readonly onReplayed?: () => void }): Promise<Result>;
  query<Result>(query: AppQuery<Result>): Promise<Result>;
}

function cliContext(idempotency?: { readonly key: string; readonly onReplayed?: () => void }): DispatchContext {
  return {
    actor: CLI_ACTOR,
    role: 'platform_admin',
    correlationId: `cli-${process.pid}-${Date.now()}`,
    causationId: null,
    ...(idempotency ? { idempotency: { principalId: CLI_ACTOR, ...idempotency } } : {}),
  };
}

/** Runs one CLI command through the Dispatcher, over the configured database and event store, then closes them. */
export function withApplication(work: (dispatch: CliDispatch) => Promise<void>): Promise<void> {
  return withInfrastructure(async (infrastructure) => {
    const sagas = createSagaEngine({
      orm: infrastructure.orm,
      eventStore: infrastructure.eventStore,
      databaseUrl: infrastructure.databaseUrl,
      demoDefinitions: infrastructure.config.sagaDemoDefinitions,
      definitions: dropletSagaDefinitions({ cloud: NO_CLOUD_HERE, store: infrastructure.eventStore, timing: DEFAULT_DROPLET_TIMING }),
    });
    const application = composeApplication(infrastructure, sagas, NO_CLOUD_HERE);
    const nest = await NestFactory.createApplicationContext(DispatchModule.forRoot(application, new Metrics()), { logger: false });
    try {
      const dispatcher = nest.get(Dispatcher);
      await work({
        command: (command, options = {}) =>
          dispatcher.command(command, cliContext(options.idempotencyKey === undefined ? undefined : { key: options.idempotencyKey, onReplayed: options.onReplayed })),
        query: (query) => dispatcher.query(query, cliContext()),
      });
    } finally {
      await nest.close();
    }
  });
}
