import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import { formatPosition } from '../../../domain/event-store/position.js';
import { eventCatalogue } from '../../../domain/events/event-catalogue.js';

/** The categories a live stream may follow: not `idempotency` (its streams hold other principals' answers). */
export const LIVE_CATEGORIES = ['saga', 'resource', 'spec', 'policy', 'iac', 'jobs'] as const;

/** What one live stream follows: a whole category, or one stream by its exact name. */
export type LiveFilter = { readonly category: (typeof LIVE_CATEGORIES)[number]; readonly stream?: undefined } | { readonly category?: undefined; readonly stream: string };

/**
 * Server-sent events from the log, live: each client gets its own subscription from the log's head
 * at the moment it connects, filtered by stream prefix, and a comment every `heartbeatMs` so
 * proxies keep the connection. At most `maxStreams` at once (503 past that); every stream ends
 * when the application shuts down, so a shutdown never waits on a browser tab.
 */
export class LiveEvents implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly log: Pick<EventStore, 'subscribeToAll' | 'headPosition'>,
    private readonly logger: Logger,
    private readonly options: { readonly maxStreams: number; readonly heartbeatMs: number } = { maxStreams: 100, heartbeatMs: 15_000 },
  ) {}

  get streams(): number {
    return this.open.size;
  }

  async serve(filter: LiveFilter, request: Request, response: Response): Promise<void> {
    if (this.open.size >= this.options.maxStreams) {
      response.status(503).setHeader('retry-after', '10');
      response.json({ error: 'too_many_streams', message: `${this.open.size} live streams are open, the most this instance serves: try again later` });
      return;
    }
    const prefix = filter.stream ?? `${filter.category}-`;
    const from = await this.log.headPosition({ streamPrefixes: [prefix] });
    const subscription = this.log.subscribeToAll({ ...(from ? { fromPosition: from } : {}), filter: { streamPrefixes: [prefix] } });
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    response.write(': live\n\n');
    const heartbeat = setInterval(() => response.write(': ping\n\n'), this.options.heartbeatMs);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      this.open.delete(end);
      void subscription.close();
      response.end();
    };
    this.open.add(end);
    request.on('close', end);
    try {
      for await (const recorded of subscription) {
        if (ended) break;
        // a prefix also matches longer names: one stream means that stream only
        if (filter.stream !== undefined && recorded.stream !== filter.stream) continue;
        const event = eventCatalogue.decode(recorded);
        const data = { stream: recorded.stream, revision: String(recorded.revision), type: event.type, recordedAt: recorded.recordedAt.toISOString(), actor: event.metadata.actor, data: event.data };
        response.write(`id: ${formatPosition(recorded.position)}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
      }
    } catch (error) {
      if (!ended) this.logger.warn({ err: error, prefix }, 'a live event stream failed; it ends and the client reconnects');
    } finally {
      end();
    }
  }

  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }
}
