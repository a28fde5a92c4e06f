import { type Attributes, type Link, type Span, SpanKind, SpanStatusCode, type Tracer, isSpanContextValid, trace } from '@opentelemetry/api';
import { TRACEPARENT_PATTERN } from '../domain/events/event-envelope.js';

/**
 * Tracing for any layer but the domain, on `@opentelemetry/api` only: the API is a no-op until an
 * SDK registers itself (src/adapters/telemetry/ does, when an OTEL_* exporter is configured), so
 * code traced here costs a non-recording span and nothing else while tracing is off.
 */

/** The instrumentation scope of every span cloudledger makes itself. */
export const TRACER_NAME = 'cloudledger';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export interface WithSpanOptions {
  /** Default INTERNAL. */
  readonly kind?: SpanKind;
  readonly links?: readonly Link[];
  /** Start a new trace, whatever span is active (a saga step attempt is one). */
  readonly root?: boolean;
}

/**
 * Runs `work` in a new span, active while it runs (spans started inside are its children). The
 * span ends when `work` settles; a throw is recorded on it, marks it an error, and is rethrown.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T> | T, options: WithSpanOptions = {}): Promise<T> {
  const spanOptions = { kind: options.kind ?? SpanKind.INTERNAL, attributes, links: options.links ? [...options.links] : undefined, root: options.root };
  return tracer().startActiveSpan(name, spanOptions, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Records a thrown error on a span and marks the span failed. */
export function markFailed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The W3C `traceparent` of the active span, when one is being traced; what an event stores of the span that appended it. */
export function currentTraceparent(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return undefined;
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A span link to the span a stored `traceparent` names; none for a missing or malformed one. */
export function linkTo(traceparent: string | undefined, attributes: Attributes = {}): Link | undefined {
  if (traceparent === undefined || !TRACEPARENT_PATTERN.test(traceparent)) return undefined;
  const [, traceId, spanId, flags] = traceparent.split('-') as [string, string, string, string];
  return { context: { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true }, attributes };
}
