import { randomUUID } from 'node:crypto';
import { compareSpec } from '../../domain/drift/drift-compare.js';
import { DriftNotFound, DriftNotRevertible, openDrift, type SpecCommand, specDecider, type SpecEvent, type SpecState } from '../../domain/drift/spec.decider.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { EventMetadata } from '../../domain/events/event-envelope.js';
import { dropletIdOf } from '../../domain/inventory/resource.js';
import { toSpecStream } from '../../domain/streams.js';
import { appendDecidedToStreams, handleOnStream, loadStream } from '../event-stream.js';
import { REVERT_DRIFT } from '../provisioning/droplet.definitions.js';
import type { SagaCommandContext, SagaService } from '../saga/saga.service.js';
import type { DetectionReadModel, DriftLookup } from './drift.ports.js';

export interface DetectReport {
  readonly checked: number;
  readonly drifted_fields: number;
  readonly new_drift: number;
  readonly resolved_stale: number;
  /** Resources whose spec stream moved since the read model saw it: left to the next run. */
  readonly skipped: number;
  readonly seconds: number;
}

type Metadata = Omit<EventMetadata, 'schemaVersion'>;

/**
 * Drift detection and resolution. Detection is set-based: one statement yields the specs that may
 * have drifted or have drift open, each with its live row, the comparison runs in memory, and only
 * resources whose drift changed get an append — a few hundred streams per round trip, each
 * expecting the spec stream's revision its row reflects, so two concurrent runs cannot both open a
 * drift for the same field (the loser's append is left out and counted as skipped).
 */
export class DriftService {
  constructor(
    private readonly store: EventStore,
    private readonly detection: DetectionReadModel,
    private readonly drifts: DriftLookup,
    private readonly sagas: SagaService,
    /** Waits until the read models detection reads have caught up with the log. */
    private readonly settle: () => Promise<unknown> = async () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async detect(metadata: Metadata): Promise<DetectReport> {
    const started = performance.now();
    await this.settle();
    const { checked, rows } = await this.detection.detectionInput();
    const now = this.now();
    let drifted = 0;
    let opened = 0;
    let stale = 0;
    let skipped = 0;
    const appends: { stream: string; expectedRevision: bigint; events: readonly SpecEvent[] }[] = [];
    for (const row of rows) {
      drifted += compareSpec(row.spec, row.live).length;
      const state: SpecState = { status: 'recorded', spec: row.spec, version: row.specVersion, open: row.open, closed: [] };
      const events = specDecider.decide({ type: 'DetectDrift', data: { resourceId: row.resourceId, live: row.live, newDriftId: () => randomUUID() } }, state, now);
      if (events.length > 0) appends.push({ stream: toSpecStream(row.resourceId), expectedRevision: BigInt(row.streamRevision), events });
    }
    (await appendDecidedToStreams(this.store, appends, metadata)).forEach((revision, i) => {
      if (revision === null) {
        skipped++;
        return;
      }
      for (const event of appends[i]!.events) {
        if (event.type === 'DriftDetected') opened++;
        if (event.type === 'DriftClosedStale') stale++;
      }
    });
    // the caller reads its own writes: the inbox shows what this run found once it answers
    if (opened + stale > 0) await this.settle();
    return { checked, drifted_fields: drifted, new_drift: opened, resolved_stale: stale, skipped, seconds: (performance.now() - started) / 1000 };
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
