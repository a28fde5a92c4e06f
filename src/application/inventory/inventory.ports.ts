import type { ResourceState } from '../../domain/inventory/resource.js';

/** A resource as the inventory read model holds it, with the revision of its stream the row reflects. */
export interface InventoryEntry {
  readonly resourceId: string;
  readonly state: ResourceState;
  readonly deleted: boolean;
  readonly streamRevision: bigint;
  /** When its last event happened. */
  readonly lastSeenAt: Date;
}

/** The whole inventory in one read: what a sync compares a listing with. */
export interface InventorySnapshot {
  allResources(): Promise<InventoryEntry[]>;
}

/** Mutual exclusion across processes for a named job; null when someone else holds it. */
export interface JobLease {
  tryAcquire(name: string): Promise<{ release(): Promise<void> } | null>;
}
