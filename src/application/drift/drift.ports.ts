import type { Spec } from '../../domain/drift/drift-compare.js';
import type { ResourceField, ResourceState } from '../../domain/inventory/resource.js';

/** One provisioned resource as detection sees it: the spec (with its stream's revision), the live row, the open drift. */
export interface DetectionRow {
  readonly resourceId: string;
  readonly spec: Spec;
  readonly specVersion: number;
  /** The revision of the spec stream the row reflects (decimal): detection appends expecting it. */
  readonly streamRevision: string;
  readonly live: Pick<ResourceState, ResourceField | 'attrs'>;
  readonly open: readonly { readonly driftId: string; readonly field: string; readonly expected: unknown; readonly actual: unknown; readonly revertSagaId: string | null }[];
}

/** What one detection run reads: how many specs it covers, and those that need the comparison. */
export interface DetectionInput {
  /** Every current spec whose resource is not deleted, with or without a live row yet. */
  readonly checked: number;
  /**
   * The specs with a live row that may differ from it or have drift open, by resource id. Every
   * other one is proven to match its live row — exact equality, which implies the loose equality of
   * src/domain/drift/drift-compare.ts — so the comparison would find nothing there.
   */
  readonly rows: readonly DetectionRow[];
}

/** What detection reads, in one set-based query. */
export interface DetectionReadModel {
  detectionInput(): Promise<DetectionInput>;
}

/** What accepting or reverting a drift reads first: which resource it is on. */
export interface DriftLookup {
  /** The drift's resource, or null when there is no such drift. */
  driftResource(driftId: string): Promise<string | null>;
}
