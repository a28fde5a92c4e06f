import type { MikroORM } from '@mikro-orm/postgresql';
import type { DriftPolicySource } from '../../application/drift/drift.ports.js';
import type { DriftPolicy } from '../../domain/drift/drift-policy.js';
import { cursorText, cursorTimestamp, keysetCursor, keysetTimestamp } from '../persistence/keyset-cursor.js';
import { checkLimit, iso, isoOrNull, type Page, queryRows, type Timestamp } from './read-model-sql.js';

export interface DriftPolicyView {
  readonly policyId: string;
  readonly resource: string;
  readonly field: string;
  readonly owner: string;
  readonly reason: string;
  readonly expiresAt: string;
  /** `live` until `expiresAt` or an end by hand (`ended`); `expired` after its time. */
  readonly status: 'live' | 'expired' | 'ended';
  readonly createdAt: string;
  readonly createdBy: string;
  readonly endedAt: string | null;
  readonly endedBy: string | null;
  /** Drift ignored under it now. */
  readonly ignoring: number;
  /** Drift it has ever covered, ignored now or since reopened or resolved. */
  readonly matched: number;
}

interface PolicyRow {
  policy_id: string;
  resource: string;
  field: string;
  owner: string;
  reason: string;
  expires_at: Timestamp;
  created_at: Timestamp;
  created_by: string;
  ended_at: Timestamp | null;
  ended_by: string | null;
}

const COUNTS = `(select count(*) from cloud_drift d where d.policy_id = p.policy_id and d.status = 'ignored')::text as ignoring,
              (select count(*) from cloud_drift d where d.policy_id = p.policy_id)::text as matched`;

const policyCursor = keysetCursor(cursorTimestamp, cursorText);

/** The ignore policies (`drift_policies`): what detection applies, and the list operators read. */
export class PgDriftPolicies implements DriftPolicySource {
  constructor(
    private readonly orm: MikroORM,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async policies(): Promise<DriftPolicy[]> {
    const rows = await queryRows<PolicyRow>(this.orm, 'select * from drift_policies where ended_at is null', []);
    return rows.map((r) => ({ policyId: r.policy_id, resource: r.resource, field: r.field, owner: r.owner, reason: r.reason, expiresAt: iso(r.expires_at) }));
  }

  /** One policy with its counts, or null. */
  async get(policyId: string): Promise<DriftPolicyView | null> {
    const [row] = await queryRows<PolicyRow & { ignoring: string; matched: string }>(this.orm, `select p.*, ${COUNTS} from drift_policies p where p.policy_id = ?`, [policyId]);
    return row ? this.toView(row) : null;
  }

  /** Every policy, newest first, with how much drift each covers. */
  async list(filter: { readonly limit: number; readonly cursor?: string }): Promise<Page<DriftPolicyView>> {
    checkLimit(filter.limit);
    const params: unknown[] = [];
    let where = '';
    if (filter.cursor !== undefined) {
      const [createdAt, id] = policyCursor.decode(filter.cursor);
      where = 'where (p.created_at, p.policy_id) < (?::timestamptz, ?)';
      params.push(createdAt, id);
    }
    const rows = await queryRows<PolicyRow & { cursor_at: string; ignoring: string; matched: string }>(
      this.orm,
      `select p.*, ${keysetTimestamp('p.created_at')} as cursor_at, ${COUNTS}
         from drift_policies p ${where}
        order by p.created_at desc, p.policy_id desc limit ?`,
      [...params, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { items: page.map((r) => this.toView(r)), nextCursor: rows.length > filter.limit && last ? policyCursor.encode([last.cursor_at, last.policy_id]) : null };
  }

  private toView(r: PolicyRow & { ignoring: string; matched: string }): DriftPolicyView {
    const expired = new Date(r.expires_at).getTime() <= this.now().getTime();
    return {
      policyId: r.policy_id,
      resource: r.resource,
      field: r.field,
      owner: r.owner,
      reason: r.reason,
      expiresAt: iso(r.expires_at),
      status: r.ended_at !== null ? 'ended' : expired ? 'expired' : 'live',
      createdAt: iso(r.created_at),
      createdBy: r.created_by,
      endedAt: isoOrNull(r.ended_at),
      endedBy: r.ended_by,
      ignoring: Number(r.ignoring),
      matched: Number(r.matched),
    };
  }
}
