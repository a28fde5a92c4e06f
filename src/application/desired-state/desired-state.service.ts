import { type ConvergencePlan, convergencePlan } from '../../domain/drift/convergence-plan.js';
import type { Spec } from '../../domain/drift/drift-compare.js';
import { SpecNotFound, specDecider } from '../../domain/drift/spec.decider.js';
import { Conflict } from '../../domain/errors.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { eventCatalogue } from '../../domain/events/event-catalogue.js';
import type { ResourceStreamState } from '../../domain/inventory/resource.decider.js';
import { dropletIdOf } from '../../domain/inventory/resource.js';
import { toSpecStream } from '../../domain/streams.js';
import { handleOnStream, readStreamEvents } from '../event-stream.js';
import { ResourceNotFound } from '../inventory/resource-history.js';
import { requireReach, type ResourceCaller, resourceInLog } from '../inventory/resource-reach.js';
import { APPLY_SPEC } from '../provisioning/droplet.definitions.js';
import type { SagaCommandContext, SagaService } from '../saga/saga.service.js';
import type { DeclaredSpec } from './declared-spec.js';

/** A spec as every spec answer shows it: its version (the ETag), who recorded it, and the plan against the live resource. */
export interface SpecAnswer {
  readonly resourceId: string;
  readonly spec: Spec;
  readonly specVersion: number;
  readonly recordedAt: string;
  readonly recordedBy: string;
  /** Set once the resource is gone and its spec removed (the spec shown is the last one recorded). */
  readonly removedAt: string | null;
  /** What converging the live resource on the spec takes; null while the inventory has no live resource. */
  readonly plan: ConvergencePlan | null;
}

/** Who asks: a spec of a resource cloudledger does not manage needs platform_admin. */
export interface SpecCaller extends SagaCommandContext, ResourceCaller {}

export class NothingToApply extends Conflict {
  override readonly name = 'NothingToApply';
  override readonly code = 'nothing_to_apply';
}

/**
 * Desired state, declared: a spec recorded by hand (version + 1, under `If-Match`), its plan
 * against the live resource, and the saga that applies it. Reads the spec and resource streams
 * themselves, so an answer is never older than the write before it.
 */
export class DesiredStateService {
  constructor(
    private readonly store: EventStore,
    private readonly sagas: SagaService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The spec with its plan; SpecNotFound when none was ever recorded. */
  async current(resourceId: string): Promise<SpecAnswer> {
    return this.answer(resourceId, await resourceInLog(this.store, resourceId));
  }

  /** The spec stream read and folded, planned against `live` (the resource stream the caller read already). */
  private async answer(resourceId: string, live: ResourceStreamState): Promise<SpecAnswer> {
    const recorded = await readStreamEvents(this.store, toSpecStream(resourceId));
    let last: Omit<SpecAnswer, 'plan' | 'removedAt'> | undefined;
    let removedAt: string | null = null;
    for (const event of recorded) {
      const decoded = eventCatalogue.decode(event);
      if (decoded.type === 'SpecRecorded') {
        const { spec, version, at } = decoded.data as { spec: Spec; version: number; at: string };
        last = { resourceId, spec, specVersion: version, recordedAt: at, recordedBy: decoded.metadata.actor };
        removedAt = null;
      } else if (decoded.type === 'SpecRemoved') {
        removedAt = (decoded.data as { at: string }).at;
      }
    }
    if (!last) throw new SpecNotFound(`no spec is recorded for ${resourceId}`);
    const plan = live.status === 'present' && removedAt === null ? convergencePlan(last.spec, live.state) : null;
    return { ...last, removedAt, plan };
  }

  /**
   * Records `spec` as the resource's desired state. `expectedVersion` is the version the caller
   * read (If-Match; 0 for "none yet"): another one answers 412 and records nothing. The resource
   * must be in the inventory; one cloudledger does not manage needs platform_admin.
   */
  async declare(resourceId: string, spec: DeclaredSpec, expectedVersion: number | undefined, caller: SpecCaller): Promise<SpecAnswer> {
    const live = await this.reachable(resourceId, caller, 'declare its spec');
    const { actor, actorId, correlationId, causationId } = caller;
    await handleOnStream(
      this.store,
      toSpecStream(resourceId),
      specDecider,
      { type: 'RecordSpec', data: { resourceId, spec, reason: 'declared', sagaId: null, ...(expectedVersion === undefined ? {} : { expectedVersion }) } },
      { actor, ...(actorId ? { actorId } : {}), correlationId, causationId },
      { now: this.now },
    );
    return this.answer(resourceId, live);
  }

  /**
   * Starts the saga that converges the droplet on its spec: a resize, a retag, or both (the same
   * steps a drift revert takes). Region and image are left (they need a new droplet) and said so;
   * a spec with nothing an apply can change is a 409.
   */
  async apply(resourceId: string, caller: SpecCaller): Promise<{ sagaId: string; resourceId: string; specVersion: number; converging: readonly string[]; left: ConvergencePlan['changes'] }> {
    const { specVersion, plan } = await this.answer(resourceId, await this.reachable(resourceId, caller, 'apply its spec'));
    if (plan === null) throw new ResourceNotFound(`${resourceId} has no live resource to apply its spec to`);
    const left = plan.changes.filter((c) => !(plan.applicable as readonly string[]).includes(c.field));
    if (plan.applicable.length === 0) {
      const why = plan.converged ? 'it agrees with its spec already' : `what differs cannot be changed in place (${left.map((c) => `${c.field}: ${c.action}`).join(', ')})`;
      throw new NothingToApply(`nothing to apply to ${resourceId}: ${why}`);
    }
    const { sagaId } = await this.sagas.start({ kind: 'apply_spec', definition: APPLY_SPEC, inputs: { resourceId, specVersion, fields: plan.applicable } }, caller);
    return { sagaId, resourceId, specVersion, converging: plan.applicable, left };
  }

  /** The resource, present in the inventory (404 otherwise, to anyone: viewers can list it anyway), when the caller may `action` it. */
  private async reachable(resourceId: string, caller: SpecCaller, action: string): Promise<ResourceStreamState> {
    if (dropletIdOf(resourceId) === null) throw new ResourceNotFound(`${resourceId} is not a droplet id (do:droplet:<id>)`);
    const live = await resourceInLog(this.store, resourceId);
    if (live.status !== 'present') {
      throw new ResourceNotFound(live.status === 'deleted' ? `${resourceId} is deleted` : `${resourceId} is not in the inventory: run a sync first, or adopt it`);
    }
    requireReach(live, resourceId, caller, action);
    return live;
  }
}
