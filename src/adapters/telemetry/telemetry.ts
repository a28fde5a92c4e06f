import { register } from 'node:module';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';

type SpanProcessor = NonNullable<NodeSDKConfiguration['spanProcessors']>[number];

/**
 * Traces through OpenTelemetry, configured by the standard `OTEL_*` variables and off unless they
 * name an exporter. This module is light on purpose: the SDK, its exporters and the
 * instrumentations are imported only when tracing is on, so with nothing set the process loads
 * none of them and every span is the API's no-op.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface TracingSwitch {
  readonly enabled: boolean;
  /** Which variable decided, for the start-up log. */
  readonly reason: string;
}

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * On when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`, `zipkin`) or, with it unset,
 * when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`:
 * the exporter then defaults to `otlp`). Off with nothing set, with `OTEL_TRACES_EXPORTER=none`
 * (as the SDK reads it: `none` first), and always with `OTEL_SDK_DISABLED=true`.
 */
export function tracingSwitch(env: Env): TracingSwitch {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && name !== 'null');
  if (exporters[0] === 'none') return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  if (exporters.length > 0) return { enabled: true, reason: `OTEL_TRACES_EXPORTER=${exporters.join(',')}` };
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    if (set(env[name])) return { enabled: true, reason: `${name} is set (exporter: otlp)` };
  }
  return { enabled: false, reason: 'no OTEL_TRACES_EXPORTER or OTLP endpoint set' };
}

export interface Telemetry extends TracingSwitch {
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes and stops: the API goes back to no-ops. */
  shutdown(): Promise<void>;
}

export interface StartTelemetryOptions {
  /** Default `process.env`. The SDK itself reads its settings (exporter, endpoint, sampler…) from `process.env`. */
  readonly env?: Env;
  /**
   * Registers OpenTelemetry's ESM loader hook for `node:http` so the HTTP instrumentation sees the
   * server: only an entry point does this, before it imports the program. pg and fetch are traced
   * without it.
   */
  readonly esmHook?: boolean;
  /** In place of the exporters `OTEL_TRACES_EXPORTER` names (tests: an in-memory exporter). Used only when tracing is on. */
  readonly spanProcessors?: readonly SpanProcessor[];
}

let running: Telemetry | undefined;

const OFF = (decision: TracingSwitch): Telemetry => ({ ...decision, flush: async () => undefined, shutdown: async () => undefined });

/**
 * Starts tracing when the variables ask for it; once per process (a second call answers the first
 * one's handle). Call it before the modules it instruments are imported.
 */
export async function startTelemetry(options: StartTelemetryOptions = {}): Promise<Telemetry> {
  if (running) return running;
  const decision = tracingSwitch(options.env ?? process.env);
  if (!decision.enabled) {
    running = OFF(decision);
    return running;
  }
  if (options.esmHook) {
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['http', 'node:http', 'https', 'node:https'] } });
  }
  const { startTracingSdk } = await import('./telemetry.sdk.js');
  const sdk = startTracingSdk({ spanProcessors: options.spanProcessors ? [...options.spanProcessors] : undefined });
  running = {
    ...decision,
    flush: () => sdk.flush(),
    shutdown: async () => {
      running = undefined;
      await sdk.shutdown();
    },
  };
  return running;
}

/** Whether tracing runs in this process, and why (off when it was never started). */
export function telemetryStatus(): TracingSwitch {
  return running ? { enabled: running.enabled, reason: running.reason } : { enabled: false, reason: 'not started' };
}

/** Flushes and stops tracing, if it runs: before the process exits, or its last spans are lost. */
export async function stopTelemetry(): Promise<void> {
  await running?.shutdown();
  running = undefined;
}

/** Sends what is buffered, if tracing runs (a CLI command that ends by itself). */
export async function flushTelemetry(): Promise<void> {
  await running?.flush();
}
