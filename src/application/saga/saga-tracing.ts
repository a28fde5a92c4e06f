import { type Attributes, type Context, context, type Link, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { SagaCommand } from '../../domain/saga/saga.decider.js';
import type { StartedSaga } from '../../domain/saga/saga.state.js';
import type { SagaAction } from '../../domain/saga/saga.workflow.js';
import { linkTo, markFailed, tracer } from '../tracing.js';
import type { LoadedSaga } from './saga-stream.js';

/** What the process manager does that gets a span: a step attempt, a compensation attempt, the saga's end. */
export type TracedAction = Exclude<SagaAction, { type: 'nothing' | 'wait' }>;

/** How a saga span names the span it links to (the `saga.link` attribute of the link). */
export type SagaLinkRole = 'start' | 'previous';

interface OpenSpan {
  readonly key: string;
  readonly span: Span;
  readonly context: Context;
}

/**
 * The spans of one claim of a saga. Every action is the root of a trace of its own — a step
 * attempt may run minutes after the one before it, in another process, so no span is held open
 * across a wait or a backoff — linked to the span that started the saga and to the runner's span
 * that wrote to the saga last, whose `traceparent`s the saga's events carry. A step attempt's span
 * covers recording it as started, running it and recording its outcome.
 */
export class SagaSpans {
  private open: OpenSpan | null = null;

  /** The context to perform the action in: the open span's when the action goes on with it, else a new root span's. */
  enter(action: TracedAction, state: StartedSaga, loaded: LoadedSaga): Context {
    const key = keyOf(action);
    if (this.open?.key === key) return this.open.context;
    this.close();
    const links = [linkTo(loaded.startTrace, { 'saga.link': 'start' satisfies SagaLinkRole }), linkTo(loaded.lastRunTrace, { 'saga.link': 'previous' satisfies SagaLinkRole })].filter(
      (link): link is Link => link !== undefined,
    );
    const attributes: Attributes = {
      'saga.id': state.sagaId,
      'saga.definition': state.definition,
      'saga.definition_version': state.version,
      'saga.action': action.type,
    };
    let name = 'saga.finish';
    if (action.type === 'run' || action.type === 'compensate') {
      name = `${action.type === 'run' ? 'saga.step' : 'saga.compensate'} ${action.name}`;
      Object.assign(attributes, { 'saga.step': action.name, 'saga.step_index': action.step, 'saga.attempt': action.attempt });
      // a run that is not a fresh start goes on with an attempt recorded before: after its wait, or after a crash
      if (action.type === 'run') attributes['saga.resumed'] = !action.start;
    }
    const span = tracer().startSpan(name, { root: true, links, attributes });
    this.open = { key, span, context: trace.setSpan(context.active(), span) };
    return this.open.context;
  }

  /**
   * After the action's outcome was decided (its events go out with the runner's next append): the
   * span ends with the outcome, unless the action goes on — an attempt just recorded as started
   * runs next. Should that append be refused (someone else moved the saga), the outcome is appended
   * again later, under a new span of the same attempt.
   */
  leave(action: TracedAction, command: SagaCommand): void {
    const open = this.open;
    if (!open || open.key !== keyOf(action) || command.type === 'BeginAttempt') return;
    recordOutcome(open.span, command);
    this.close();
  }

  /** Ends the open span, if any: the claim is over (or failed with `error`). */
  close(error?: unknown): void {
    if (!this.open) return;
    if (error !== undefined) markFailed(this.open.span, error);
    this.open.span.end();
    this.open = null;
  }
}

function keyOf(action: TracedAction): string {
  if (action.type === 'run') return `run/${action.step}/${action.attempt}`;
  if (action.type === 'compensate') return `compensate/${action.step}/${action.attempt}`;
  return 'finish';
}

function recordOutcome(span: Span, command: SagaCommand): void {
  switch (command.type) {
    case 'RecordStepResult': {
      const { result } = command.data;
      span.setAttribute('saga.step.outcome', result.kind);
      if (result.kind === 'waiting') span.setAttribute('saga.step.retry_after_ms', result.retryAfterMs);
      if (result.kind === 'failed') {
        span.setAttributes({ 'saga.step.error_code': result.error.code, 'saga.step.retryable': result.error.retryable });
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${result.error.code}: ${result.error.message}` });
      }
      return;
    }
    case 'RecordCompensation': {
      const { result } = command.data;
      span.setAttribute('saga.step.outcome', result.kind);
      if (result.kind === 'failed') {
        span.setAttribute('saga.step.error_code', result.error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${result.error.code}: ${result.error.message}` });
      }
      return;
    }
    default:
      // the saga's end: `saga.action` says which
      return;
  }
}
