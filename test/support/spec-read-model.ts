import type { MikroORM } from '@mikro-orm/postgresql';
import { iso, isoOrNull, queryRows, type Timestamp } from '../../src/adapters/inventory/read-model-sql.js';

export interface SpecView {
  readonly resourceId: string;
  readonly spec: Record<string, unknown>;
  readonly specVersion: number;
  readonly recordedAt: string;
  readonly recordedBy: string;
  /** Set once the resource is gone and its spec removed. */
  readonly removedAt: string | null;
}

/** The `cloud_provisioned` read model row of a spec, for the tests of its projection (the API reads specs from their streams). */
export class PgSpecReadModel {
  constructor(private readonly orm: MikroORM) {}

  async getSpec(resourceId: string): Promise<SpecView | null> {
    const [row] = await queryRows<{
      resource_id: string;
      spec: Record<string, unknown>;
      spec_version: number;
      recorded_at: Timestamp;
      recorded_by: string;
      removed_at: Timestamp | null;
    }>(this.orm, 'select resource_id, spec, spec_version, recorded_at, recorded_by, removed_at from cloud_provisioned where resource_id = ?', [resourceId]);
    if (!row) return null;
    return {
      resourceId: row.resource_id,
      spec: row.spec,
      specVersion: row.spec_version,
      recordedAt: iso(row.recorded_at),
      recordedBy: row.recorded_by,
      removedAt: isoOrNull(row.removed_at),
    };
  }
}
