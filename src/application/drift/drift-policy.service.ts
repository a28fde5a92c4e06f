import { randomUUID } from 'node:crypto';
import type { DriftPolicyRequest } from '../../domain/drift/drift-policy.js';
import { driftPolicyDecider } from '../../domain/drift/drift-policy.decider.js';
import { DriftNotFound, DriftNotOpen, openDrift, specDecider } from '../../domain/drift/spec.decider.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { toPolicyStream, toSpecStream } from '../../domain/streams.js';
import { handleOnStream, loadStream, type Metadata } from '../event-stream.js';
import { uuidV5 } from '../saga/event-ids.js';
import type { DetectReport, DriftService } from './drift.service.js';
import type { DriftLookup } from './drift.ports.js';

/** The sender, and under an idempotency key the seed a retry makes the same policy id from. */
export type PolicyCommandContext = Metadata & { readonly idempotencySeed?: string };

/** What a policy made for one drift says: who owns the exception, why, and until when. */
export type IgnoreTerms = Pick<DriftPolicyRequest, 'owner' | 'reason' | 'expiresAt'>;

const metadataOf = ({ actor, actorId, correlationId, causationId }: PolicyCommandContext): Metadata => ({ actor, ...(actorId ? { actorId } : {}), correlationId, causationId });

/**
 * Ignore policies made and ended, taking effect at once: after the policy's event, detection runs
 * (the sweep, which reads every resource with drift open or ignored), so matching open drift is
 * ignored and drift under an ended policy opens again before the caller gets its answer.
 */
export class DriftPolicyService {
  constructor(
    private readonly store: EventStore,
    private readonly drift: DriftService,
    private readonly drifts: DriftLookup,
    /** Waits until the read models have caught up with the log. */
    private readonly settle: () => Promise<unknown> = async () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records the policy (an end in the past or over 180 days away is InvalidInput), then applies it. */
  async create(request: DriftPolicyRequest, ctx: PolicyCommandContext): Promise<{ policyId: string; detection: DetectReport }> {
    const policyId = ctx.idempotencySeed ? uuidV5(`policy/${ctx.idempotencySeed}`) : randomUUID();
    await handleOnStream(this.store, toPolicyStream(policyId), driftPolicyDecider, { type: 'CreateDriftPolicy', data: { policyId, request } }, metadataOf(ctx), { now: this.now });
    return { policyId, detection: await this.drift.detect(metadataOf(ctx)) };
  }

  /** Ends the policy before its time (DriftPolicyNotFound for an unknown one); the drift it ignored opens again. */
  async end(policyId: string, ctx: PolicyCommandContext): Promise<{ policyId: string; detection: DetectReport }> {
    await handleOnStream(this.store, toPolicyStream(policyId), driftPolicyDecider, { type: 'EndDriftPolicy', data: { policyId } }, metadataOf(ctx), { now: this.now });
    return { policyId, detection: await this.drift.detect(metadataOf(ctx)) };
  }

  /**
   * Ignores one open drift under a policy made for it alone — its resource id and its field,
   * exactly — so the detections after keep it ignored until `expiresAt`. The drift is checked
   * first (open, not being reverted), so a refused item leaves no policy behind.
   */
  async ignore(driftId: string, terms: IgnoreTerms, ctx: PolicyCommandContext): Promise<{ resourceId: string; policyId: string; ignoredUntil: string }> {
    await this.settle();
    const resourceId = await this.drifts.driftResource(driftId);
    if (resourceId === null) throw new DriftNotFound(`no drift ${driftId}`);
    const { state } = await loadStream(this.store, toSpecStream(resourceId), specDecider);
    const { drift } = openDrift(state, resourceId, driftId);
    const policyId = ctx.idempotencySeed ? uuidV5(`policy/${ctx.idempotencySeed}`) : randomUUID();
    if (drift.revertSagaId !== null) throw new DriftNotOpen(`drift ${driftId} is being reverted by saga ${drift.revertSagaId}`);
    const metadata = metadataOf(ctx);
    await handleOnStream(
      this.store,
      toPolicyStream(policyId),
      driftPolicyDecider,
      { type: 'CreateDriftPolicy', data: { policyId, request: { resource: resourceId, field: drift.field, ...terms } } },
      metadata,
      { now: this.now },
    );
    await handleOnStream(this.store, toSpecStream(resourceId), specDecider, { type: 'IgnoreDrift', data: { resourceId, driftId, policy: { policyId, expiresAt: terms.expiresAt } } }, metadata, {
      now: this.now,
    });
    await this.settle();
    return { resourceId, policyId, ignoredUntil: new Date(terms.expiresAt).toISOString() };
  }
}
