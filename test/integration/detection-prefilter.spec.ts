import { seededRandom } from '../../src/adapters/cloud/digitalocean/simulator/simulator-state.js';
import { PgDetectionReadModel } from '../../src/adapters/inventory/detection-read-model.js';
import { compareSpec } from '../../src/domain/drift/drift-compare.js';
import { RESOURCE_FIELDS, type ResourceState } from '../../src/domain/inventory/resource.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

type Live = Pick<ResourceState, 'name' | 'region' | 'size_slug' | 'status' | 'tags' | 'attrs'>;
interface Case {
  readonly spec: Record<string, unknown>;
  /** Null: the inventory has not seen the resource. */
  readonly live: Live | null;
  readonly deleted?: boolean;
  readonly openDrift?: boolean;
}

const KEYS = [...RESOURCE_FIELDS, 'image', 'vpc', 'constructor', 'backups'];
/** Values that are equal, loosely equal or different in the ways the comparison rules care about. */
const VALUES: unknown[] = ['a', 'b', '', '1', 1, 2.5, true, 'true', null, ['a'], ['a', 'b'], ['b', 'a'], ['a', 'a'], [], [1], { a: 'x' }, { a: 'x', b: 'y' }];
const LIVE_TEXT = ['a', 'b', '', '1', 'true', '2.5', '["a"]'];
const LIVE_TAGS = [[], ['a'], ['a', 'b'], ['b', 'a'], ['a', 'a'], ['1']];

/** Seeded: the same cases on every run, so a failure can be replayed. */
function generateCases(count: number, next: () => number): Case[] {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const spec: Record<string, unknown> = {};
    for (const key of KEYS) if (next() < 0.35) spec[key] = next() < 0.6 ? pick(['a', 'b', '', '1']) : pick(VALUES);
    if (next() < 0.5) spec.tags = pick(LIVE_TAGS);
    // the live row mostly echoes the spec, so that many rows match and the prefilter has work to do
    const echo = (key: string, fallback: () => unknown): unknown => (key in spec && next() < 0.7 ? spec[key] : fallback());
    const text = (key: string): string => {
      const value = echo(key, () => pick(LIVE_TEXT));
      return typeof value === 'string' ? value : JSON.stringify(value);
    };
    const tags = echo('tags', () => pick(LIVE_TAGS));
    const attrs: Record<string, unknown> = {};
    for (const key of KEYS.filter((k) => !(RESOURCE_FIELDS as readonly string[]).includes(k))) {
      if (key in spec ? next() < 0.9 : next() < 0.3) attrs[key] = echo(key, () => pick(VALUES));
    }
    const live: Live = {
      name: text('name'),
      region: text('region'),
      size_slug: text('size_slug'),
      status: text('status'),
      tags: Array.isArray(tags) && tags.every((t) => typeof t === 'string') ? tags : pick(LIVE_TAGS),
      attrs,
    };
    const roll = next();
    cases.push({ spec, live: roll < 0.03 ? null : live, deleted: roll >= 0.03 && roll < 0.06, openDrift: roll >= 0.06 && roll < 0.09 });
  }
  return cases;
}

describe('drift detection reads only the specs that may have drifted', () => {
  let db: TestDatabase;
  let readModel: PgDetectionReadModel;

  beforeAll(async () => {
    db = await createTestDatabase();
    readModel = new PgDetectionReadModel(db.orm);
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await db.pool.query('truncate cloud_resources, cloud_provisioned');
  });

  async function seed(cases: readonly Case[]): Promise<string[]> {
    // zero-padded: detection returns rows by resource id, and then that is the cases' order; written
    // last case first, so the tables' own order is the other way round
    const ids = cases.map((_, i) => `do:droplet:${String(i + 1).padStart(5, '0')}`);
    const written = cases.map((c, i) => ({ c, id: ids[i]! })).reverse();
    const live = written.filter(({ c }) => c.live !== null);
    await db.pool.query(
      `insert into cloud_resources (resource_id, provider, kind, provider_id, name, region, size_slug, status, tags, attrs,
                                    managed, first_seen_at, last_seen_at, deleted_at, stream_revision)
       select u.id, 'digitalocean', 'droplet', u.id, u.live->>'name', u.live->>'region', u.live->>'size_slug',
              case when u.deleted then 'deleted' else u.live->>'status' end, u.live->'tags', u.live->'attrs',
              true, now(), now(), case when u.deleted then now() end, 0
         from unnest($1::text[], $2::jsonb[], $3::boolean[]) as u(id, live, deleted)`,
      [live.map(({ id }) => id), live.map(({ c }) => JSON.stringify(c.live)), live.map(({ c }) => c.deleted === true)],
    );
    await db.pool.query(
      `insert into cloud_provisioned (resource_id, spec, spec_version, stream_revision, recorded_at, recorded_by, updated_at, removed_at, open_drift)
       select u.id, u.spec, 1, 0, now(), 'test', now(), null,
              case when u.open then '[{"driftId": "d", "field": "size_slug", "expected": "a", "actual": "b", "revertSagaId": null}]'::jsonb else '[]'::jsonb end
         from unnest($1::text[], $2::jsonb[], $3::boolean[]) as u(id, spec, open)`,
      [written.map(({ id }) => id), written.map(({ c }) => JSON.stringify(c.spec)), written.map(({ c }) => c.openDrift === true)],
    );
    return ids;
  }

  it('leaves out only specs the domain comparison finds unchanged, on 3,000 generated specs and live rows', async () => {
    const cases = generateCases(3000, seededRandom(20261201));
    const ids = await seed(cases);
    const { checked, rows } = await readModel.detectionInput();
    const returned = new Set(rows.map((r) => r.resourceId));

    expect(checked).toBe(cases.filter((c) => !c.deleted).length);
    const unsound: string[] = [];
    let leftOut = 0;
    cases.forEach((c, i) => {
      if (c.live === null || c.deleted) {
        expect(returned.has(ids[i]!)).toBe(false);
        return;
      }
      if (returned.has(ids[i]!)) return;
      leftOut++;
      // a left-out row must be one the domain would have found nothing in
      if (c.openDrift || compareSpec(c.spec, c.live).length > 0) unsound.push(`${JSON.stringify(c.spec)} vs ${JSON.stringify(c.live)}`);
    });
    expect(unsound.slice(0, 5)).toEqual([]);
    // and the prefilter is not a no-op: the generated set has many exactly matching rows
    expect(leftOut).toBeGreaterThan(300);
    // by resource id, whatever order the tables hold them in
    expect(rows.map((r) => r.resourceId)).toEqual([...returned].sort());
    // what comes back is what the tables hold
    const first = rows[0]!;
    const index = ids.indexOf(first.resourceId);
    expect(first).toMatchObject({ spec: cases[index]!.spec, live: cases[index]!.live, specVersion: 1, streamRevision: '0' });
  });

  it('returns the cases exact comparison cannot settle, and leaves out the ones it can', async () => {
    const base: Live = { name: 'web', region: 'nyc3', size_slug: 's-1vcpu-1gb', status: 'active', tags: ['a', 'b'], attrs: { image: 'ubuntu', n: ['x', 'y'], one: '1.0' } };
    const cases: Case[] = [
      // left out: every value a string (tags a list of strings) equal to the live one
      { spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3', image: 'ubuntu', tags: ['a', 'b'] }, live: base },
      { spec: { tags: ['b', 'a', 'a'] }, live: base },
      { spec: {}, live: base },
      // returned: a real difference
      { spec: { size_slug: 's-2vcpu-2gb' }, live: base },
      { spec: { tags: ['a'] }, live: base },
      { spec: { n: 'x' }, live: base },
      { spec: { one: 1 }, live: base },
      // returned, though the domain finds them equal: not provable by exact comparison
      { spec: { missing: '' }, live: base },
      { spec: { name: 'web', backups: null }, live: base },
      { spec: { n: ['y', 'x'] }, live: base },
      // returned: drift open, whatever the comparison says
      { spec: { region: 'nyc3' }, live: base, openDrift: true },
    ];
    const ids = await seed(cases);
    const { checked, rows } = await readModel.detectionInput();
    expect(checked).toBe(cases.length);
    expect(rows.map((r) => ids.indexOf(r.resourceId))).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rows.map((r) => compareSpec(r.spec, r.live).map((m) => m.field))).toEqual([['size_slug'], ['tags'], ['n'], ['one'], [], [], [], []]);
  });
});
