import type { Spec } from '../../domain/drift/drift-compare.js';
import type { DriftPolicy } from '../../domain/drift/drift-policy.js';
import type { OpenDrift } from '../../domain/drift/spec.decider.js';
import type { ResourceField, ResourceState } from '../../domain/inventory/resource.js';

/** What detection compares against a spec: the resource as last seen (status `deleted` once it is gone). */
export type LiveResource = Pick<ResourceState, ResourceField | 'attrs'>;

/** A current spec as the read model has it: with its stream's revision, and its unresolved drift. */
export interface SpecOf {
  readonly resourceId: string;
  readonly spec: Spec;
  readonly specVersion: number;
  /** The revision of the spec stream the row reflects (decimal): detection appends expecting it. */
  readonly streamRevision: string;
  readonly open: readonly OpenDrift[];
}

/** One provisioned resource as detection sees it: its spec, and its live row. */
export interface DetectionRow extends SpecOf {
  readonly live: LiveResource;
}

/** What one detection run reads: how many specs it covers, and those that need the comparison. */
export interface DetectionInput {
  /** Every current spec whose resource is not deleted, with or without a live row yet. */
  readonly checked: number;
  /**
   * The specs with a live row that may differ from it or have drift unresolved, by resource id. Every
   * other one is proven to match its live row — exact equality, which implies the loose equality of
   * src/domain/drift/drift-compare.ts — so the comparison would find nothing there.
   */
  readonly rows: readonly DetectionRow[];
}

/** What detection reads, in one set-based query. */
export interface DetectionReadModel {
  detectionInput(): Promise<DetectionInput>;
  /** The current specs of these resources: what detection after a sync compares the sync's observations with. */
  specsOf(resourceIds: readonly string[]): Promise<SpecOf[]>;
}

/** The ignore policies detection applies: every one not ended (expired ones too: the domain judges expiry at `now`). */
export interface DriftPolicySource {
  policies(): Promise<DriftPolicy[]>;
}

/** What accepting or reverting a drift reads first: which resource it is on. */
export interface DriftLookup {
  /** The drift's resource, or null when there is no such drift. */
  driftResource(driftId: string): Promise<string | null>;
}
