import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { projectionCatalogue } from '../../projections/projection-catalogue.js';
import type { AppConfig } from '../config/config.js';
import { AppModule } from '../http/app.module.js';
import { ReadinessProbe } from '../http/health/readiness.probe.js';
import { NestPinoLogger } from '../logging/logger.js';
import { type Infrastructure, openInfrastructure } from './infrastructure.js';

export interface RunningServer {
  readonly url: string;
  readonly infrastructure: Infrastructure;
  /** Stops taking requests, stops the projections (checkpoints are already durable), closes connections. */
  close(): Promise<void>;
}

export async function startServer(config: AppConfig, logger: Logger): Promise<RunningServer> {
  const infrastructure = await openInfrastructure(config, logger);
  const projections = new AbortController();
  let app: NestExpressApplication | undefined;
  try {
    const running = projectionCatalogue.map((projection) => infrastructure.runner.run(projection, projections.signal));
    const readiness = new ReadinessProbe(
      infrastructure.eventStore,
      infrastructure.orm,
      infrastructure.runner,
      projectionCatalogue,
      config.readyMaxLagSeconds,
    );
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ eventStore: infrastructure.eventStore, readiness }), {
      logger: new NestPinoLogger(logger),
    });
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    logger.info({ url, projections: projectionCatalogue.map((p) => p.name) }, 'cloudledger is listening');
    const started = app;
    return {
      url,
      infrastructure,
      async close() {
        await started.close();
        projections.abort();
        await Promise.all(running);
        await infrastructure.close();
      },
    };
  } catch (error) {
    projections.abort();
    await app?.close().catch(() => undefined);
    await infrastructure.close();
    throw error;
  }
}
