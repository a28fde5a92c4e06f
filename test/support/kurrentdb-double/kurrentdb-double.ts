import { createServer, type Server, type Socket } from 'node:net';
import type { ServiceError } from '@grpc/grpc-js';
import { DoubleLog, type DoubleLogOptions } from './double-log.js';
import { featuresGrpc, featuresPb, grpc, streamsGrpc } from './protocol.js';
import { type ReadRecord, statusError, streamsService } from './streams.service.js';

export interface KurrentDbDoubleOptions extends DoubleLogOptions {
  readonly host?: string;
  /** 0 (the default): an ephemeral port. */
  readonly port?: number;
  /**
   * How often a `$statsCollected` event lands in `$stats-<host:port>`, as KurrentDB's monitoring
   * writes one every StatsPeriodSec (30 s by default, docs.kurrent.io/server/v25.1/diagnostics/metrics.html).
   * One is written at start, so $all always holds a system event. 0: only that one.
   */
  readonly statsPeriodMs?: number;
  /**
   * HTTP/2 streams one connection may have open at once. The server is ASP.NET Core's Kestrel, whose
   * Http2.MaxStreamsPerConnection defaults to 100 (learn.microsoft.com/aspnet/core/fundamentals/servers/kestrel/options).
   */
  readonly maxConcurrentStreams?: number;
}

export type FaultMethod = 'read' | 'batchAppend' | 'serverFeatures';

/**
 * A KurrentDB test double that speaks KurrentDB's gRPC protocol (the client's own generated service
 * definitions, served by @grpc/grpc-js) on 127.0.0.1 without TLS, in memory. It serves what the
 * cloudledger adapter and the client's read path call: ServerFeatures.GetSupportedMethods,
 * Streams.BatchAppend and Streams.Read (stream reads, $all reads with filters, $all subscriptions).
 * It proves the adapter's use of the client and the protocol, never the server's durability or
 * clustering. It can fail on demand: refuse connections, answer Unavailable, drop subscriptions.
 */
export class KurrentDbDouble {
  readonly log: DoubleLog;
  /** Every Read call served, in order: what kind, which filter, how many events it sent, whether it is still open. */
  readonly reads: ReadRecord[] = [];
  private readonly subscriptions = new Set<(error: ServiceError) => void>();
  private readonly sockets = new Set<Socket>();
  private readonly failures: { method: FaultMethod | 'any'; remaining: number; error: ServiceError }[] = [];
  private refusing = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private statsRevision = -1n;
  readonly connectionsAccepted = { count: 0 };

  private constructor(
    private readonly server: import('@grpc/grpc-js').Server,
    private readonly listener: Server,
    readonly host: string,
    log: DoubleLog,
  ) {
    this.log = log;
  }

  /** Set once listening. */
  port = 0;

  static async start(options: KurrentDbDoubleOptions = {}): Promise<KurrentDbDouble> {
    const host = options.host ?? '127.0.0.1';
    const log = new DoubleLog(options);
    const server = new grpc.Server({ 'grpc.max_concurrent_streams': options.maxConcurrentStreams ?? 100 });
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const listener = createServer();
    const double = new KurrentDbDouble(server, listener, host, log);
    listener.on('connection', (socket) => double.accept(socket, injector));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options.port ?? 0, host, () => resolve());
    });
    double.port = (listener.address() as { port: number }).port;
    double.register();
    double.writeStats();
    if (options.statsPeriodMs) {
      double.statsTimer = setInterval(() => double.writeStats(), options.statsPeriodMs);
      double.statsTimer.unref();
    }
    return double;
  }

  /** The connection string the client takes. */
  get url(): string {
    return `kurrentdb://${this.host}:${this.port}?tls=false`;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  get openReads(): number {
    return this.reads.filter((r) => r.open).length;
  }

  /** New connections are reset at once, as a port with nothing listening would answer; open ones stay. */
  refuseConnections(refuse = true): void {
    this.refusing = refuse;
  }

  /**
   * The next `count` calls of `method` end with this status instead of being served: by default
   * Unavailable "Server Is Not Ready", what a node answers before it is ready (RpcExceptions.ServerNotReady).
   */
  failNext(method: FaultMethod | 'any', count = 1, error: ServiceError = statusError(grpc.status.UNAVAILABLE, 'Server Is Not Ready')): void {
    this.failures.push({ method, remaining: count, error });
  }

  /**
   * Ends every live subscription with an error, as a node that restarts or loses leadership does.
   * Guess: Unavailable, the status a client sees when the node goes away under a streaming call;
   * the client documentation only says a subscription can drop and must be resubscribed from the
   * last checkpoint ("Handling subscription drops", docs.kurrent.io/clients/grpc/subscriptions.html).
   */
  dropSubscriptions(error: ServiceError = statusError(grpc.status.UNAVAILABLE, 'Subscription dropped by the server')): number {
    const drops = [...this.subscriptions];
    for (const drop of drops) drop(error);
    return drops.length;
  }

  /** Cuts every open connection, as a crashed node would. */
  cutConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  tombstone(stream: string): void {
    this.log.tombstone(stream);
  }

  /** A system event, as the server's monitoring writes them into $all. */
  writeStats(): void {
    const stream = `$stats-${this.host}:${this.port}`;
    const outcome = this.log.append(stream, this.statsRevision < 0n ? { kind: 'no_stream' } : { kind: 'revision', revision: this.statsRevision }, [
      {
        id: crypto.randomUUID(),
        type: '$statsCollected',
        contentType: 'application/json',
        data: Buffer.from(JSON.stringify({ 'proc-startTime': new Date().toISOString(), 'sys-freeMem': 1 })),
        metadata: new Uint8Array(),
      },
    ]);
    if (outcome.kind === 'written') this.statsRevision = outcome.revision;
  }

  async close(): Promise<void> {
    clearInterval(this.statsTimer);
    this.dropSubscriptions(statusError(grpc.status.UNAVAILABLE, 'Server is shutting down'));
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    this.server.forceShutdown();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(socket: Socket, injector: { injectConnection(connection: Socket): void }): void {
    if (this.refusing) {
      socket.resetAndDestroy();
      return;
    }
    this.connectionsAccepted.count++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    injector.injectConnection(socket);
  }

  private fault(method: FaultMethod): ServiceError | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && (f.method === method || f.method === 'any'));
    if (!failure) return undefined;
    failure.remaining--;
    return failure.error;
  }

  private register(): void {
    const hooks = { fault: (method: 'read' | 'batchAppend') => this.fault(method), reads: this.reads, subscriptions: this.subscriptions };
    this.server.addService(streamsGrpc.StreamsService, streamsService(this.log, hooks));
    this.server.addService(featuresGrpc.ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: (error: ServiceError | null, value?: InstanceType<typeof featuresPb.SupportedMethods>) => void) => {
        const failure = this.fault('serverFeatures');
        if (failure) return callback(failure);
        callback(null, supportedMethods());
      },
    });
  }
}

/**
 * What ServerFeatures.GetSupportedMethods lists: the methods the double serves, named as KurrentDB
 * 25.1 names them (lower case, with its feature tags). The client appends through BatchAppend because
 * it is listed; the version makes the native bridge's semver parse succeed.
 */
function supportedMethods(): InstanceType<typeof featuresPb.SupportedMethods> {
  const methods = [
    ['event_store.client.streams.streams', 'read', ['position', 'events']],
    ['event_store.client.streams.streams', 'batchappend', ['deadline_duration']],
    ['event_store.client.server_features.serverfeatures', 'getsupportedmethods', []],
  ] as const;
  const result = new featuresPb.SupportedMethods();
  result.setEventStoreServerVersion('25.1.0');
  result.setMethodsList(
    methods.map(([service, method, features]) => {
      const supported = new featuresPb.SupportedMethod();
      supported.setServiceName(service);
      supported.setMethodName(method);
      supported.setFeaturesList([...features]);
      return supported;
    }),
  );
  return result;
}

export function startKurrentDbDouble(options: KurrentDbDoubleOptions = {}): Promise<KurrentDbDouble> {
  return KurrentDbDouble.start(options);
}
