import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { IacStateStore } from '../../domain/iac/iac-state-store.port.js';
import { openIacStateStore } from '../state/iac-state-store.factory.js';
import { connectDigitalOcean, type DigitalOceanConnection } from '../cloud/digitalocean/digitalocean.connection.js';
import { eventCatalogue } from '../../domain/events/event-catalogue.js';
import { EventSchemaViolation } from '../../domain/events/event-registry.js';
import { InstrumentedEventStore } from '../metrics/instrumented.event-store.js';
import { TracedEventStore } from '../telemetry/traced.event-store.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AppConfig } from '../config/config.js';
import { startEmbeddedPostgres } from '../database/embedded-postgres.js';
import { KurrentDbEventStore } from '../event-store/kurrentdb/kurrentdb.event-store.js';
import { PostgresEventStore } from '../event-store/postgres/postgres.event-store.js';
import { openOrm } from '../persistence/mikro-orm.config.js';
import { ProjectionRunner } from '../projections/projection-runner.js';

/** The parts every entry point (server, CLI) shares, opened in order and closed in reverse. */
export interface Infrastructure {
  /** The configuration it was opened with. */
  readonly config: AppConfig;
  readonly databaseUrl: string;
  readonly orm: MikroORM;
  readonly eventStore: EventStore;
  readonly runner: ProjectionRunner;
  /**
   * The IaC state store, opened on first use: for S3 that probes the bucket, which only the server
   * and the `state` commands need, not every CLI command.
   */
  iacState(): Promise<IacStateStore>;
  /** DigitalOcean (or the in-process simulator without a token), connected on first use. */
  digitalOcean(): Promise<DigitalOceanConnection>;
  close(): Promise<void>;
}

export async function openInfrastructure(config: AppConfig, logger: Logger, metrics?: Metrics): Promise<Infrastructure> {
  const closers: (() => Promise<void>)[] = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, (message) => logger.warn(message));
      closers.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }

    const orm = await openOrm(databaseUrl);
    closers.push(() => orm.close());

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    // an idle connection the server ends (restart, failover) is replaced on next use, not fatal
    pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
    closers.push(() => pool.end());

    let eventStore: EventStore;
    if (config.eventStore === 'kurrentdb') {
      eventStore = KurrentDbEventStore.fromConnectionString(config.kurrentdbUrl!);
      logger.info('event store: KurrentDB');
    } else {
      eventStore = new PostgresEventStore(pool, databaseUrl);
      logger.info('event store: PostgreSQL');
    }
    closers.push(() => eventStore.close());
    if (metrics) eventStore = new InstrumentedEventStore(eventStore, metrics);
    // each event records the span that appended it: a saga's next step links back across processes
    eventStore = new TracedEventStore(eventStore);

    const runner = new ProjectionRunner(orm, eventStore, eventCatalogue, databaseUrl, {
      batchSize: config.projectionBatchSize,
      lingerMs: config.projectionLingerMs,
      onError: (projection, error) => {
        if (error instanceof EventSchemaViolation) metrics?.schemaViolations.inc({ consumer: projection });
        logger.error({ projection, err: error }, 'projection stopped or failed');
      },
    });

    let iac: ReturnType<typeof openIacStateStore> | undefined;
    const iacState = async (): Promise<IacStateStore> => {
      if (!iac) {
        iac = openIacStateStore(config.iacState, { eventStore, orm });
        const opened = await iac;
        closers.push(() => opened.close());
        if (opened.probe) {
          logger.info({ conditionalWrites: opened.probe.conditionalWrites, ignored: opened.probe.ignored }, 'IaC state: S3 backend probed');
        } else {
          logger.info('IaC state: event-sourced backend');
        }
      }
      return (await iac).store;
    };

    let cloud: Promise<DigitalOceanConnection> | undefined;
    const digitalOcean = (): Promise<DigitalOceanConnection> => {
      if (!cloud) {
        const connecting = connectDigitalOcean(config, logger, metrics);
        cloud = connecting;
        // registered now, not once connected: a close while connecting still stops the simulator
        closers.push(async () => (await connecting.catch(() => null))?.close());
      }
      return cloud;
    };

    return {
      config,
      databaseUrl,
      orm,
      eventStore,
      runner,
      iacState,
      digitalOcean,
      async close() {
        for (const close of closers.reverse()) await close().catch((error) => logger.warn({ err: error }, 'error while closing'));
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}
