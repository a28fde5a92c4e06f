import type { Spec } from '../../domain/drift/drift-compare.js';
import type { ResourceField, ResourceState } from '../../domain/inventory/resource.js';

/** One provisioned resource as detection sees it: the spec (with its stream's revision), the live row, the open drift. */
export interface DetectionRow {
  readonly resourceId: string;
  readonly spec: Spec;
  readonly specVersion: number;
  /** The revision of the spec stream the row reflects (decimal): detection appends expecting it. */
  readonly streamRevision: string;
  /** Null when the inventory has no live resource for it. */
  readonly live: Pick<ResourceState, ResourceField | 'attrs'> | null;
  readonly open: readonly { readonly driftId: string; readonly field: string; readonly expected: unknown; readonly actual: unknown; readonly revertSagaId: string | null }[];
}

/** The read side drift needs, each in one set-based query. */
export interface DriftReadModel {
  detectionInput(): Promise<DetectionRow[]>;
  /** The drift's resource, or null when there is no such drift. */
  driftResource(driftId: string): Promise<string | null>;
}
