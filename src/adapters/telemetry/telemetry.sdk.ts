import { trace } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/** Requests that would each make a trace of their own every few seconds and say nothing: probes and scrapes. */
const UNTRACED_PATHS = /^\/(health\/|metrics(\?|$))/;

export interface TracingSdk {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry Node SDK for traces only: exporter, sampler, batching, resource and
 * propagators come from the `OTEL_*` variables as the SDK reads them (unless `spanProcessors` are
 * given); metrics stay with Prometheus (`/metrics`) and logs with pino, so the SDK starts no metric
 * reader and no log exporter. Instrumented: incoming and outgoing HTTP, PostgreSQL (`pg`) and
 * `fetch` (undici, which the DigitalOcean client uses).
 */
export function startTracingSdk(options: { readonly spanProcessors?: NodeSDKConfiguration['spanProcessors'] } = {}): TracingSdk {
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the SDK's env detector, win over these
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': 'cloudledger',
        ...(process.env.npm_package_version ? { 'service.version': process.env.npm_package_version } : {}),
      }),
    ),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // the S3 backend's calls are traced inside a request; alone (the start-up probe) they are noise
        requireParentforOutgoingSpans: true,
      }),
      // the projection runner and the saga workers poll several times a second: only queries made
      // inside a traced operation become spans (not pool checkouts); statements are recorded
      // without their parameters
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true, enhancedDatabaseReporting: false }),
      new UndiciInstrumentation(),
    ],
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  return {
    flush: async () => {
      // NodeSDK has no flush of its own: the provider it registered does it
      const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
      const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
      await delegate.forceFlush?.();
    },
    shutdown: () => sdk.shutdown(),
  };
}
