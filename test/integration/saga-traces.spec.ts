import { type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { DigitalOceanClient } from '../../src/adapters/cloud/digitalocean/digitalocean.client.js';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { startTelemetry, stopTelemetry } from '../../src/adapters/telemetry/telemetry.js';
import { TracedEventStore } from '../../src/adapters/telemetry/traced.event-store.js';
import { TRACER_NAME, withSpan } from '../../src/application/tracing.js';
import type { RecordedEvent } from '../../src/domain/event-store/event-store.port.js';
import { dropletResourceId, sagaTag } from '../../src/domain/inventory/resource.js';
import { toResourceStream, toSagaStream } from '../../src/domain/streams.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testDropletDefinitions } from '../support/droplet-sagas.js';
import { type SagaRuntime, startSagaRuntime } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

const ctx = { actor: 'alice', correlationId: 'it-traces', causationId: null };
const provision = { name: 'web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' };

/** What the DigitalOcean client's spans may be called: endpoint templates, never a concrete id. */
const TEMPLATES = new Set(['POST /v2/droplets', 'GET /v2/droplets', 'GET /v2/droplets/{droplet_id}', 'GET /v2/actions/{action_id}']);

/**
 * The trace of a saga: every step attempt a root span of its own, linked to the span that started
 * the saga and to the runner's span before it, through the `traceparent` each event records; the
 * DigitalOcean calls as client spans under the attempt that made them. And with no exporter set,
 * no SDK at all.
 */
describe('saga traces', () => {
  const exporter = new InMemorySpanExporter();
  const spanProcessors = [new SimpleSpanProcessor({ exporter })];
  let db: TestDatabase;
  let sim: RunningSimulator;
  let runtime: SagaRuntime;

  beforeAll(async () => {
    db = await createTestDatabase('cl_traces');
    // a droplet that takes a few polls to come up: the wait step runs several times in one attempt
    sim = await startSimulator({ delays: { dropletActiveMs: 350, actionMs: 100, tagListLagMs: 200 } });
    runtime = await startSagaRuntime(db.url, {}, {
      recordEffects: false,
      definitions: (store) => testDropletDefinitions(sim.url, store),
      // as openInfrastructure wires it: every event records the span that appended it
      eventStore: (pool) => new TracedEventStore(new PostgresEventStore(pool, db.url, { pollIntervalMs: 20 })),
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await sim?.close();
    await db?.drop();
    await stopTelemetry();
  });

  const finished = (sagaId: string) =>
    waitFor(
      async () => {
        const view = await runtime.engine.service.get(sagaId);
        return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      `saga ${sagaId} to finish`,
      60_000,
    );

  async function events(stream: string): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for await (const event of runtime.store.readStream(stream)) out.push(event);
    return out;
  }

  describe('with no OTEL_* exporter set', () => {
    it('starts no SDK: nothing is exported, spans do not record, events carry no traceparent', async () => {
      // given the variables a plain start has (none of OTEL_*), and an exporter that would catch any span
      const telemetry = await startTelemetry({ env: { PATH: '/usr/bin', NODE_ENV: 'test' }, spanProcessors });
      expect(telemetry).toMatchObject({ enabled: false, reason: 'no OTEL_TRACES_EXPORTER or OTLP endpoint set' });

      // when a provision runs to its end
      const { sagaId } = await runtime.engine.service.start({ kind: 'provision', definition: 'provision_droplet', inputs: provision }, ctx);
      expect((await finished(sagaId)).status).toBe('completed');

      // then no span was exported, a span made now records nothing, and no event names a trace
      expect(exporter.getFinishedSpans()).toEqual([]);
      const probe = trace.getTracer(TRACER_NAME).startSpan('probe');
      expect(probe.isRecording()).toBe(false);
      probe.end();
      const written = await events(toSagaStream(sagaId));
      expect(written.length).toBeGreaterThan(5);
      expect(written.filter((e) => 'traceparent' in e.metadata)).toEqual([]);
      await stopTelemetry();
    });
  });

  describe('with an exporter set', () => {
    beforeAll(async () => {
      const telemetry = await startTelemetry({ env: { OTEL_TRACES_EXPORTER: 'otlp' }, spanProcessors });
      expect(telemetry).toMatchObject({ enabled: true, reason: 'OTEL_TRACES_EXPORTER=otlp' });
    });
    beforeEach(() => exporter.reset());

    const spansOf = (sagaId: string) => exporter.getFinishedSpans().filter((s) => s.attributes['saga.id'] === sagaId);
    /** The runner's spans in the order they started: step attempts, compensations, the end. */
    const runnerSpans = (sagaId: string) =>
      spansOf(sagaId)
        .filter((s) => s.attributes['saga.action'] !== undefined)
        .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    const linked = (span: ReadableSpan, role: 'start' | 'previous'): SpanContext | undefined => span.links.find((l) => l.attributes?.['saga.link'] === role)?.context;
    const idOf = (context: SpanContext | undefined) => (context ? `${context.traceId}/${context.spanId}` : undefined);
    const traceparentOf = (span: ReadableSpan) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
    /** Waits for the span that ends the saga: it ends just after the saga's last event is appended. */
    const traced = (sagaId: string) => waitFor(async () => (runnerSpans(sagaId).some((s) => s.name === 'saga.finish') ? runnerSpans(sagaId) : undefined), `the end of ${sagaId} traced`);

    it('a provision: one root span per step attempt, linked to the start and to the attempt before, with the DigitalOcean calls under them', async () => {
      // given tracing on / when a provision runs to its end
      const { sagaId } = await runtime.engine.service.start({ kind: 'provision', definition: 'provision_droplet', inputs: provision }, ctx);
      expect((await finished(sagaId)).status).toBe('completed');
      const runner = await traced(sagaId);
      const [droplet] = [...sim.state.droplets.values()].filter((d) => d.tags.includes(sagaTag(sagaId)));

      // then the start is a span of its own, holding the saga's id and definition
      const [start, ...otherStarts] = spansOf(sagaId).filter((s) => s.name === 'saga.start provision_droplet');
      expect(otherStarts).toEqual([]);
      expect(start!.attributes).toMatchObject({ 'saga.definition': 'provision_droplet', 'saga.definition_version': 1 });

      // the runner's spans: create, the wait polled several times in its one attempt, register, the end
      const names = runner.map((s) => s.name);
      expect(names[0]).toBe('saga.step create_droplet');
      expect(names.at(-2)).toBe('saga.step register_droplet');
      expect(names.at(-1)).toBe('saga.finish');
      const waits = runner.filter((s) => s.name === 'saga.step wait_droplet_active');
      expect(waits.length).toBeGreaterThanOrEqual(2);
      expect(names).toEqual(['saga.step create_droplet', ...waits.map(() => 'saga.step wait_droplet_active'), 'saga.step register_droplet', 'saga.finish']);

      // each a root, each its own trace, none the start's
      for (const span of runner) expect(span.parentSpanContext).toBeUndefined();
      expect(new Set([start, ...runner].map((s) => s!.spanContext().traceId)).size).toBe(runner.length + 1);

      // each carries the saga, the step and the attempt; the wait's polls are one attempt, resumed, each waiting but the last
      expect(runner[0]!.attributes).toMatchObject({
        'saga.id': sagaId,
        'saga.definition': 'provision_droplet',
        'saga.definition_version': 1,
        'saga.action': 'run',
        'saga.step': 'create_droplet',
        'saga.step_index': 0,
        'saga.attempt': 1,
        'saga.resumed': false,
        'saga.recovering': false,
        'saga.step.outcome': 'done',
      });
      expect(waits.map((s) => [s.attributes['saga.attempt'], s.attributes['saga.resumed'], s.attributes['saga.step.outcome']])).toEqual([
        [1, false, 'waiting'],
        ...waits.slice(1, -1).map(() => [1, true, 'waiting']),
        [1, true, 'done'],
      ]);
      expect(runner.at(-1)!.attributes).toMatchObject({ 'saga.action': 'complete' });

      // links: every one to the start; each to the runner's span before it (the first has none before it)
      for (const span of runner) expect(idOf(linked(span, 'start'))).toBe(idOf(start!.spanContext()));
      expect(linked(runner[0]!, 'previous')).toBeUndefined();
      runner.slice(1).forEach((span, i) => expect(idOf(linked(span, 'previous'))).toBe(idOf(runner[i]!.spanContext())));

      // the events record those spans: SagaStarted the start's; each step's events the attempt span that wrote them
      const written = await events(toSagaStream(sagaId));
      const writer = (type: string, step?: number) => written.filter((e) => e.type === type && (step === undefined || (e.data as { step?: number }).step === step)).map((e) => e.metadata.traceparent);
      expect(writer('SagaStarted')).toEqual([traceparentOf(start!)]);
      expect(writer('StepStarted', 0)).toEqual([traceparentOf(runner[0]!)]);
      expect(writer('StepSucceeded', 0)).toEqual([traceparentOf(runner[0]!)]);
      expect(writer('StepWaiting', 1)).toEqual(waits.slice(0, -1).map(traceparentOf));
      expect(writer('StepSucceeded', 1)).toEqual([traceparentOf(waits.at(-1)!)]);
      expect(writer('SagaCompleted')).toEqual([traceparentOf(runner.at(-1)!)]);
      // and what a step appends elsewhere records it too: the inventory knows which attempt registered the droplet
      const inventory = await events(toResourceStream(dropletResourceId(droplet!.id)));
      expect(inventory.map((e) => e.metadata.traceparent)).toEqual([traceparentOf(runner.at(-2)!)]);

      // the DigitalOcean calls: client spans named by endpoint template, children of the attempt that made them
      const calls = exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === TRACER_NAME && s.kind === SpanKind.CLIENT);
      const callsUnder = (span: ReadableSpan) => calls.filter((c) => c.parentSpanContext?.spanId === span.spanContext().spanId && c.spanContext().traceId === span.spanContext().traceId);
      const [create, ...moreCreates] = callsUnder(runner[0]!);
      expect(moreCreates).toEqual([]);
      const createAction = [...sim.state.actions.values()].find((a) => a.dropletId === droplet!.id && a.type === 'create')!;
      expect(create!.name).toBe('POST /v2/droplets');
      expect(create!.attributes).toMatchObject({
        'http.request.method': 'POST',
        'url.template': '/v2/droplets',
        'digitalocean.endpoint': 'POST /v2/droplets',
        'http.response.status_code': 202,
        'digitalocean.action.id': createAction.id,
        'digitalocean.droplet.id': droplet!.id,
      });
      for (const wait of waits) {
        const [get, ...more] = callsUnder(wait);
        expect(more).toEqual([]);
        expect(get!.name).toBe('GET /v2/droplets/{droplet_id}');
        expect(get!.attributes).toMatchObject({ 'url.template': '/v2/droplets/{droplet_id}', 'http.response.status_code': 200, 'digitalocean.droplet.id': droplet!.id });
        expect(get!.attributes['digitalocean.action.id']).toBeUndefined();
      }
      // every call of this saga hangs under one of its attempts, and none is named with a concrete id
      const attemptTraces = new Set(runner.map((s) => s.spanContext().traceId));
      const sagaCalls = calls.filter((c) => attemptTraces.has(c.spanContext().traceId));
      expect(sagaCalls.length).toBe(1 + waits.length);
      for (const call of sagaCalls) expect(TEMPLATES.has(call.name)).toBe(true);
      expect(sagaCalls.every((c) => !c.name.includes(String(droplet!.id)))).toBe(true);

      // and fetch itself is traced under each call (undici): one HTTP request each, as no call was retried
      for (const call of sagaCalls) {
        const requests = exporter.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === call.spanContext().spanId);
        expect(requests.map((r) => [r.instrumentationScope.name, r.kind])).toEqual([['@opentelemetry/instrumentation-undici', SpanKind.CLIENT]]);
      }
    });

    it('a retried step: each attempt its own trace, failures marked, then the compensation and the roll-back', async () => {
      // given a step that fails twice before it succeeds, then one that always fails
      const { sagaId } = await runtime.engine.service.start({ kind: 'demo', definition: 'script', inputs: { steps: [{ op: 'flaky', failures: 2 }, { op: 'fail' }] } }, ctx);

      // when it runs to its end
      expect((await finished(sagaId)).status).toBe('rolled_back');
      const runner = await traced(sagaId);

      // then: three attempts of the first step, one of the second, the undo of the first, the end
      expect(runner.map((s) => [s.name, s.attributes['saga.attempt'], s.attributes['saga.step.outcome']])).toEqual([
        ['saga.step 1-flaky', 1, 'failed'],
        ['saga.step 1-flaky', 2, 'failed'],
        ['saga.step 1-flaky', 3, 'done'],
        ['saga.step 2-fail', 1, 'failed'],
        ['saga.compensate 1-flaky', 1, 'compensated'],
        ['saga.finish', undefined, undefined],
      ]);
      expect(runner.at(-1)!.attributes['saga.action']).toBe('roll-back');
      expect(new Set(runner.map((s) => s.spanContext().traceId)).size).toBe(runner.length);
      // failed attempts are errors, with the step's error code
      expect(runner[0]!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/^flaky: attempt 1 of 2/) });
      expect(runner[0]!.attributes).toMatchObject({ 'saga.step.error_code': 'flaky', 'saga.step.retryable': true });
      expect(runner[2]!.status.code).toBe(SpanStatusCode.UNSET);
      // a chain of links back to the start, however long the backoffs between attempts
      const [start] = spansOf(sagaId).filter((s) => s.name === 'saga.start script');
      for (const span of runner) expect(idOf(linked(span, 'start'))).toBe(idOf(start!.spanContext()));
      runner.slice(1).forEach((span, i) => expect(idOf(linked(span, 'previous'))).toBe(idOf(runner[i]!.spanContext())));
    });

    it('a DigitalOcean call is one client span, retries included; an action call names its action; a refusal is an error', async () => {
      // given a client (no real waits between retries) and an active droplet nobody manages
      const client = new DigitalOceanClient({ baseUrl: sim.url, token: 'do-secret-for-traces', purpose: 'provisioning', sleep: async () => undefined });
      const { droplet } = sim.state.createDroplet({ name: 'traced', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }, { unmanaged: true });
      await waitFor(async () => ((await client.getDroplet(droplet.id))?.status === 'active' ? true : undefined), 'the droplet to be active');
      exporter.reset();

      // when, inside one operation: a get answered 429 once, a power-off, and a get of a droplet that is not there
      sim.state.setFaults({ burst429: 1 });
      const [action, missing] = await withSpan('test.operation', {}, async () => {
        await client.getDroplet(droplet.id);
        const posted = await client.dropletAction(droplet.id, { type: 'power_off' });
        return [posted, await client.getDroplet(droplet.id + 1_000_000)] as const;
      });
      expect(missing).toBeNull();

      // then three client spans under the operation, named by template, in order
      const calls = exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === TRACER_NAME && s.kind === SpanKind.CLIENT);
      const [operation] = exporter.getFinishedSpans().filter((s) => s.name === 'test.operation');
      expect(calls.map((c) => c.name)).toEqual(['GET /v2/droplets/{droplet_id}', 'POST /v2/droplets/{droplet_id}/actions', 'GET /v2/droplets/{droplet_id}']);
      for (const call of calls) expect(call.parentSpanContext?.spanId).toBe(operation!.spanContext().spanId);
      const [retried, acted, refused] = calls as [ReadableSpan, ReadableSpan, ReadableSpan];
      // the 429 and its retry are one span, which says it resent once and why
      expect(retried.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 1, 'digitalocean.droplet.id': droplet.id });
      expect(retried.events.map((e) => [e.name, e.attributes?.['digitalocean.retry.cause']])).toEqual([['digitalocean.retry', '429']]);
      expect(exporter.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === retried.spanContext().spanId)).toHaveLength(2);
      // the action call carries the action's id
      expect(acted.attributes).toMatchObject({ 'url.template': '/v2/droplets/{droplet_id}/actions', 'http.request.method': 'POST', 'digitalocean.action.id': action.id });
      expect(sim.state.actions.get(action.id)).toMatchObject({ type: 'power_off', dropletId: droplet.id });
      // a 404 is an error on its span (the client turns it into null for its caller)
      expect(refused.status.code).toBe(SpanStatusCode.ERROR);
      expect(refused.attributes).toMatchObject({ 'http.response.status_code': 404, 'error.type': 'not_found' });
      // and the token is on no span
      expect(JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.events]))).not.toContain('do-secret-for-traces');
    });

    it('links to the spans recorded in the stream when another process (or a restart) picks the saga up', async () => {
      // given a saga started and stopped half-way: its first step done, its workers gone
      const { sagaId } = await runtime.engine.service.start({ kind: 'demo', definition: 'script', inputs: { steps: [{ op: 'noop' }, { op: 'sleep', ms: 1_500 }, { op: 'noop' }] } }, ctx);
      await waitFor(async () => (await events(toSagaStream(sagaId))).find((e) => e.type === 'StepWaiting'), 'the sleep to wait');
      await runtime.engine.manager.close();
      const before = runnerSpans(sagaId);
      const lastBefore = before.at(-1)!;
      exporter.reset();

      // when a new process manager — knowing nothing in memory — takes it to its end
      const { SagaProcessManager } = await import('../../src/application/saga/saga-process-manager.js');
      const { PgSagaWorkQueue } = await import('../../src/adapters/saga/pg-saga-work-queue.js');
      const manager = new SagaProcessManager(runtime.store, new PgSagaWorkQueue(db.url), runtime.engine.definitions, { workers: 1, pollMs: 25, leaseMs: 3_000 });
      manager.start();
      try {
        expect((await finished(sagaId)).status).toBe('completed');
        const after = await traced(sagaId);

        // then its first span links to the span that wrote the saga's last event before — read from the stream
        expect(after[0]!.attributes).toMatchObject({ 'saga.step': '2-sleep', 'saga.resumed': true });
        expect(idOf(linked(after[0]!, 'previous'))).toBe(idOf(lastBefore.spanContext()));
        expect(linked(after[0]!, 'start')).toBeDefined();
      } finally {
        await manager.close();
      }
    });
  });
});
