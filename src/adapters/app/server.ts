import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { DiscoveryService, NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { addressRateLimit, authenticate, parseBody } from '../http/edge.middleware.js';
import { consoleRouter } from '../http/console.middleware.js';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUiDist from 'swagger-ui-dist';
import { projectionCatalogue } from '../../projections/projection-catalogue.js';
import { ApiTokenService, TokenNameTaken } from '../auth/api-token.service.js';
import type { AppConfig } from '../config/config.js';
import { AppModule } from '../http/app.module.js';
import { ReadinessProbe } from '../http/health/readiness.probe.js';
import { httpMetricsMiddleware } from '../http/http-metrics.middleware.js';
import { currentRequest, requestContextMiddleware } from '../http/request-context.js';
import { NestPinoLogger } from '../logging/logger.js';
import { type DiscoveredRoute, discoverRoutes } from '../http/openapi.js';
import { Metrics } from '../metrics/metrics.js';
import { createSagaEngine } from '../saga/saga-engine.js';
import { SchedulerRegistry } from '@nestjs/schedule';
import { systemContext } from '../dispatch/dispatch-context.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { DetectDrift } from '../dispatch/drift.js';
import { SyncInventory } from '../dispatch/inventory.js';
import { composeApplication } from './application.js';
import { scheduleJobs } from './schedules.js';
import { dropletSagaDefinitions } from '../../application/provisioning/droplet.definitions.js';
import { DEFAULT_DROPLET_TIMING, type DropletStepTiming } from '../../application/provisioning/steps/droplet.steps.js';
import { type Infrastructure, openInfrastructure } from './infrastructure.js';

export interface RunningServer {
  readonly url: string;
  readonly infrastructure: Infrastructure;
  readonly tokens: ApiTokenService;
  /** Every route Nest serves, with its declared access rule: tests check none is left unguarded. */
  readonly routes: readonly DiscoveredRoute[];
  /** Where /metrics answers without a token, when METRICS_PORT is set. */
  readonly metricsUrl: string | undefined;
  /** Stops taking requests, stops the projections (checkpoints are already durable), closes connections. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where the bootstrap token is shown, once; default stdout (never the log). */
  readonly announce?: (text: string) => void;
  readonly version?: string;
}

export async function startServer(config: AppConfig, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const metrics = new Metrics();
  const infrastructure = await openInfrastructure(config, logger, metrics);
  const projections = new AbortController();
  let app: NestExpressApplication | undefined;
  let metricsServer: Server | undefined;
  let sagaManager: { close(): Promise<void> } | undefined;
  let schedules: { stop(): Promise<void> } | undefined;
  let running: Promise<void>[] = [];
  try {
    running = projectionCatalogue.map((projection) => infrastructure.runner.run(projection, projections.signal));
    const cloud = await infrastructure.digitalOcean();
    const dropletTiming: DropletStepTiming = {
      ...DEFAULT_DROPLET_TIMING,
      activePollMs: config.dropletActivePollSeconds * 1000,
      activeMaxPolls: config.dropletActiveMaxPolls,
      actionPollMs: config.dropletActionPollSeconds * 1000,
      snapshotFindPollMs: config.dropletActionPollSeconds * 1000,
    };
    const sagas = createSagaEngine({
      orm: infrastructure.orm,
      eventStore: infrastructure.eventStore,
      databaseUrl: infrastructure.databaseUrl,
      metrics,
      demoDefinitions: config.sagaDemoDefinitions,
      definitions: dropletSagaDefinitions({ cloud: cloud.provisioning, store: infrastructure.eventStore, timing: dropletTiming }),
      manager: {
        workers: config.sagaWorkers,
        leaseMs: config.sagaLeaseSeconds * 1000,
        onError: (error) => logger.error({ err: error }, 'saga worker error'),
        onNotice: (message, fields) => logger.info(fields, message),
      },
    });
    sagaManager = sagas.manager;
    sagas.manager.start();
    metrics.onScrape(async () => {
      for (const status of await infrastructure.runner.status(projectionCatalogue)) {
        const labels = { projection: status.name };
        metrics.projectionEventsApplied.set(labels, status.eventsApplied);
        metrics.projectionLagEvents.set(labels, status.lagEvents);
        metrics.projectionLagSeconds.set(labels, status.lagSeconds);
        metrics.projectionStopped.set(labels, status.status === 'stopped' ? 1 : 0);
      }
    });
    const application = composeApplication(infrastructure, sagas, cloud.sync);
    const tokens = application.tokens;
    await ensureBootstrapToken(tokens, config, options.announce ?? ((text) => process.stdout.write(text)));
    // the S3 backend probes its bucket when opened: a misconfigured one stops the start, not a request
    await application.iacState();
    const readiness = new ReadinessProbe(infrastructure.eventStore, infrastructure.orm, infrastructure.runner, projectionCatalogue, config.readyMaxLagSeconds);

    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({
        application,
        readiness,
        metrics,
        logger,
        version: options.version ?? process.env.npm_package_version ?? '0.0.0',
        rateLimitPerMinute: config.rateLimitPerMinute,
      }),
      { logger: new NestPinoLogger(logger), bodyParser: false },
    );
    app.set('trust proxy', config.trustProxy);
    // before the routes, in this order: context (ids), metrics, request log, the limit per client
    // address, who is calling, and only then the body (edge.middleware.ts)
    app.use(requestContextMiddleware);
    app.use(httpMetricsMiddleware(metrics));
    app.use(pinoHttp({ logger, genReqId: () => currentRequest()?.requestId ?? 'none', quietReqLogger: true, autoLogging: { ignore: (req) => req.url === '/health/live' } }));
    app.use(addressRateLimit(config.rateLimitPerAddressPerMinute));
    // the operator console's static files need no token: its API calls carry one
    app.use('/console', consoleRouter());
    app.use(authenticate(tokens));
    app.use(parseBody(config.bodyLimitBytes));
    app.use('/docs/assets', express.static(swaggerUiDist.getAbsoluteFSPath(), { index: false }));
    await app.init();
    const dispatcher = app.get(Dispatcher);
    schedules = scheduleJobs(
      app.get(SchedulerRegistry),
      [
        { name: 'inventory-sync', cron: config.inventorySyncCron, run: () => dispatcher.command(new SyncInventory(), systemContext('system:sync')) },
        { name: 'drift-detection', cron: config.driftDetectCron, run: () => dispatcher.command(new DetectDrift(), systemContext('system:drift-detection')) },
      ],
      logger,
    );
    await app.listen(config.port, config.host);

    let metricsUrl: string | undefined;
    if (config.metricsPort !== undefined) {
      const server = createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        metrics.scrape().then(
          (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
          () => res.writeHead(500).end(),
        );
      });
      metricsServer = server;
      await new Promise<void>((resolve) => server.listen(config.metricsPort, config.host, resolve));
      const bound = server.address();
      metricsUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${typeof bound === 'object' && bound ? bound.port : config.metricsPort}/metrics`;
    }

    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    logger.info({ url, console: `${url}/console`, projections: projectionCatalogue.map((p) => p.name), docs: `${url}/docs` }, `cloudledger is listening; the console is at ${url}/console`);
    const started = app;
    const jobs = schedules;
    return {
      url,
      infrastructure,
      tokens,
      routes: discoverRoutes(app.get(DiscoveryService), app.get(Reflector)),
      metricsUrl,
      async close() {
        metricsServer?.close();
        // a sync or detection under way finishes before what it writes to closes
        await jobs.stop();
        await started.close();
        // workers finish the action under way and give their rows back; leases cover the rest
        await sagas.manager.close();
        projections.abort();
        await Promise.all(running);
        await infrastructure.close();
      },
    };
  } catch (error) {
    await schedules?.stop();
    await sagaManager?.close().catch(() => undefined);
    projections.abort();
    await Promise.allSettled(running);
    metricsServer?.close();
    await app?.close().catch(() => undefined);
    await infrastructure.close();
    throw error;
  }
}

/**
 * A first run has no token to call the API with: make the platform_admin one and show it once. Only
 * on a database that never had a token — revoking every token must not bring a bootstrap one back.
 */
async function ensureBootstrapToken(tokens: ApiTokenService, config: AppConfig, announce: (text: string) => void): Promise<void> {
  if (await tokens.anyEverCreated()) return;
  let token: string;
  try {
    ({ token } = await tokens.create('bootstrap', 'platform_admin', 'system:bootstrap', { token: config.bootstrapToken }));
  } catch (error) {
    // another instance starting at the same moment made it
    if (error instanceof TokenNameTaken) return;
    throw error;
  }
  if (config.bootstrapToken) return;
  announce(
    `\nNo API token existed, so a platform_admin token named "bootstrap" was created. It is shown once:\n\n  ${token}\n\n` +
      'Keep it safe; create others with `cloudledger tokens create`, then revoke this one with `cloudledger tokens revoke bootstrap`.\n\n',
  );
}
