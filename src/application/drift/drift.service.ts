import { randomUUID } from 'node:crypto';
import { compareSpec } from '../../domain/drift/drift-compare.js';
import type { DriftPolicy } from '../../domain/drift/drift-policy.js';
import { DriftNotFound, DriftNotRevertible, openDrift, type SpecCommand, specDecider, type SpecEvent, type SpecState } from '../../domain/drift/spec.decider.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { EventMetadata } from '../../domain/events/event-envelope.js';
import { dropletIdOf } from '../../domain/inventory/resource.js';
import { toSpecStream } from '../../domain/streams.js';
import { forEachConcurrently } from '../concurrency.js';
import { appendDecidedToStreams, handleOnStream, loadStream } from '../event-stream.js';
import { JobRuns } from '../inventory/job-runs.js';
import { REVERT_DRIFT } from '../provisioning/droplet.definitions.js';
import type { SagaCommandContext, SagaService } from '../saga/saga.service.js';
import type { DetectionReadModel, DetectionRow, DriftLookup, DriftPolicySource, LiveResource } from './drift.ports.js';

export interface DetectReport {
  readonly checked: number;
  readonly drifted_fields: number;
  readonly new_drift: number;
  readonly resolved_stale: number;
  /** Drift a live policy covers (newly detected, or open until now). */
  readonly ignored: number;
  /** Ignored drift whose policy ended or expired: open again. */
  readonly reopened: number;
  /** Resources whose spec stream moved since the read model saw it: decided again from the stream. */
  readonly redecided: number;
  readonly seconds: number;
}

type Metadata = Omit<EventMetadata, 'schemaVersion'>;

/** What a detection run decided for one spec stream, to append with the revision it was read at. */
interface Decided {
  readonly resourceId: string;
  readonly live: LiveResource;
  readonly stream: string;
  readonly expectedRevision: bigint;
  events: readonly SpecEvent[];
}

/**
 * Drift detection and resolution. Detection is set-based: one statement yields the specs that may
 * have drifted or have drift unresolved, each with its live row, the comparison runs in memory
 * (with the ignore policies), and only resources whose drift changed get an append — a few hundred
 * streams per round trip, each expecting the spec stream's revision its row reflects, so two
 * concurrent runs cannot both open a drift for the same field (the loser's append is left out and
 * decided again from the stream). After a sync, the resources it saw change are detected at once
 * (`detectObserved`), against what the sync saw; the scheduled sweep stays as the safety net.
 */
export class DriftService {
  private readonly runs: JobRuns;

  constructor(
    private readonly store: EventStore,
    private readonly detection: DetectionReadModel,
    private readonly drifts: DriftLookup,
    private readonly policySource: DriftPolicySource,
    private readonly sagas: SagaService,
    /** Waits until the read models detection reads have caught up with the log. */
    private readonly settle: () => Promise<unknown> = async () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.runs = new JobRuns(store);
  }

  /** The sweep: every spec against its live row. */
  async detect(metadata: Metadata): Promise<DetectReport> {
    const started = performance.now();
    await this.settle();
    const [{ checked, rows }, policies] = await Promise.all([this.detection.detectionInput(), this.policySource.policies()]);
    return this.decideAll('sweep', rows, policies, checked, metadata, started);
  }

  /**
   * Detection right after a sync, for the resources it saw appear, change or go: their specs (from
   * the read model, with the revision to append at) against the state the sync observed, which is
   * newer than the inventory's read model. Resources without a spec are not cloudledger's to judge.
   */
  async detectObserved(observed: readonly { readonly resourceId: string; readonly live: LiveResource }[], metadata: Metadata): Promise<DetectReport> {
    const started = performance.now();
    // a spec recorded a moment ago (a provision that just finished) is read, not missed
    await this.settle();
    const liveOf = new Map(observed.map((o) => [o.resourceId, o.live]));
    const [specs, policies] = await Promise.all([this.detection.specsOf([...liveOf.keys()]), this.policySource.policies()]);
    const rows = specs.map((spec) => ({ ...spec, live: liveOf.get(spec.resourceId)! }));
    return this.decideAll('after_sync', rows, policies, rows.length, metadata, started);
  }

  private async decideAll(scope: 'sweep' | 'after_sync', rows: readonly DetectionRow[], policies: readonly DriftPolicy[], checked: number, metadata: Metadata, started: number): Promise<DetectReport> {
    const now = this.now();
    const detect = (resourceId: string, live: LiveResource): SpecCommand => ({ type: 'DetectDrift', data: { resourceId, live, policies, newDriftId: () => randomUUID() } });
    let drifted = 0;
    const decided: Decided[] = [];
    for (const row of rows) {
      if (row.live.status !== 'deleted') drifted += compareSpec(row.spec, row.live).length;
      const state: SpecState = { status: 'recorded', spec: row.spec, version: row.specVersion, open: row.open, closed: [] };
      const events = specDecider.decide(detect(row.resourceId, row.live), state, now);
      if (events.length > 0) decided.push({ resourceId: row.resourceId, live: row.live, stream: toSpecStream(row.resourceId), expectedRevision: BigInt(row.streamRevision), events });
    }
    const revisions = await appendDecidedToStreams(this.store, decided, metadata);
    // a row the read model had not caught up on: decide again from the stream itself
    const lagged = decided.filter((_, i) => revisions[i] === null);
    await forEachConcurrently(lagged, async (item) => {
      item.events = (await handleOnStream(this.store, item.stream, specDecider, detect(item.resourceId, item.live), metadata, { now: () => now })).events;
    });
    const count = (type: SpecEvent['type']) => decided.reduce((n, d) => n + d.events.filter((e) => e.type === type).length, 0);
    const report = {
      checked,
      drifted_fields: drifted,
      new_drift: count('DriftDetected'),
      resolved_stale: count('DriftClosedStale'),
      ignored: count('DriftIgnored'),
      reopened: count('DriftReopened'),
      redecided: lagged.length,
    };
    await this.runs.record(
      { type: 'DriftDetectionRan', data: { scope, checked, newDrift: report.new_drift, resolvedStale: report.resolved_stale, at: now.toISOString() } },
      metadata,
    );
    // the caller reads its own writes: the inbox shows what this run found once it answers
    if (decided.length > 0) await this.settle();
    return { ...report, seconds: (performance.now() - started) / 1000 };
  }

  /** The live value becomes the spec (version + 1) and the drift closes accepted: one append. */
  async accept(driftId: string, metadata: Metadata): Promise<{ resourceId: string; specVersion: number }> {
    const resourceId = await this.resourceOf(driftId);
    const result = await this.decide({ type: 'AcceptDrift', data: { resourceId, driftId } }, metadata);
    await this.settle();
    return { resourceId, specVersion: result.state.status === 'recorded' ? result.state.version : 0 };
  }

  /**
   * Starts the saga that changes the droplet back (resize for size_slug, retag for tags); it closes
   * the drift as reverted when it completes. A drift that is not open answers 409, a field that
   * cannot be reverted 422 — checked here first, and again by the saga's first step.
   */
  async revert(driftId: string, ctx: SagaCommandContext): Promise<{ sagaId: string; resourceId: string }> {
    const resourceId = await this.resourceOf(driftId);
    const { state } = await loadStream(this.store, toSpecStream(resourceId), specDecider);
    // a dry run of the request: throws the typed refusal (not open, not revertible), appends nothing
    specDecider.decide({ type: 'RequestRevert', data: { resourceId, driftId, sagaId: 'dry-run' } }, state, this.now());
    const { drift } = openDrift(state, resourceId, driftId);
    if (dropletIdOf(resourceId) === null) throw new DriftNotRevertible(`${resourceId} is not a droplet: only droplets can be changed back; accept the drift instead`);
    // the saga reads the value to go back to from the spec itself
    const { sagaId } = await this.sagas.start({ kind: 'drift_revert', definition: REVERT_DRIFT, inputs: { resourceId, driftId, field: drift.field } }, ctx);
    return { sagaId, resourceId };
  }

  private async resourceOf(driftId: string): Promise<string> {
    await this.settle();
    const resourceId = await this.drifts.driftResource(driftId);
    if (resourceId === null) throw new DriftNotFound(`no drift ${driftId}`);
    return resourceId;
  }

  private decide(command: SpecCommand, metadata: Metadata) {
    return handleOnStream(this.store, toSpecStream(command.data.resourceId), specDecider, command, metadata, { now: this.now });
  }
}
