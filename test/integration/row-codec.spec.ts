import { wrap } from '@mikro-orm/core';
import { RowCodec } from '../../src/adapters/projections/row-codec.js';
import { CloudResourceEntity, type CloudResourceRow } from '../../src/projections/inventory/cloud-resource.entity.js';
import { SagaWorkEntity, type SagaWorkRow } from '../../src/projections/saga/saga-work.entity.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('the projections’ row codec', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cl_row_codec');
  });
  afterAll(async () => {
    await db.drop();
  });

  const resource = (id: string, overrides: Partial<CloudResourceRow> = {}): CloudResourceRow => ({
    resourceId: id,
    provider: 'digitalocean',
    kind: 'droplet',
    providerId: id.split(':').at(-1)!,
    // what a placeholder or a quote in a value must not break
    name: `web-?-'quoted' "double" \\ back – ünïcode ${id}`,
    region: 'fra1',
    sizeSlug: 's-1vcpu-1gb',
    status: 'active',
    tags: ['cloudledger:managed', "it's", '?'],
    attrs: { image: 'ubuntu-24-04-x64', nested: { list: [1, 2.5, null, true], text: 'a ? b', empty: {} } },
    managed: true,
    firstSeenAt: new Date('2026-12-03T10:00:00.123Z'),
    lastSeenAt: new Date('2026-12-03T11:59:59.999Z'),
    deletedAt: null,
    streamRevision: '9007199254740993',
    ...overrides,
  });

  /** The rows as MikroORM reads them (em.find, then toPOJO): what the codec stands in for. */
  const viaOrm = async <Row extends object>(entity: typeof CloudResourceEntity | typeof SagaWorkEntity, key: string, keys: string[]): Promise<Row[]> => {
    const em = db.orm.em.fork();
    const rows = await em.find(entity as never, { [key]: { $in: keys } } as never, { disableIdentityMap: true });
    return rows.map((row) => wrap(row as object).toPOJO() as Row);
  };

  it('writes rows and reads them back as they were, as MikroORM reads them, and replaces and deletes by key', async () => {
    const codec = new RowCodec(db.orm.getMetadata(CloudResourceEntity), db.orm.em.getPlatform());
    const rows = [resource('do:droplet:1'), resource('do:droplet:2', { deletedAt: new Date('2026-12-03T12:00:00Z'), managed: false, attrs: {} })];
    const keys = rows.map((r) => r.resourceId);

    await db.orm.em.fork().transactional((em) => codec.upsert(em, undefined, rows));
    const read = await db.orm.em.fork().transactional((em) => codec.find(em, undefined, [...keys, 'do:droplet:none']));
    expect(sortBy(read, 'resourceId')).toEqual(rows);
    expect(sortBy(await viaOrm<CloudResourceRow>(CloudResourceEntity, 'resourceId', keys), 'resourceId')).toEqual(rows);

    // an upsert of a standing key replaces every column
    const changed = resource('do:droplet:1', { status: 'off', tags: [], streamRevision: '10', lastSeenAt: new Date('2026-12-04T00:00:00Z') });
    await db.orm.em.fork().transactional((em) => codec.upsert(em, undefined, [changed]));
    expect(await db.orm.em.fork().transactional((em) => codec.find(em, undefined, ['do:droplet:1']))).toEqual([changed]);

    await db.orm.em.fork().transactional((em) => codec.delete(em, undefined, keys));
    expect(await db.orm.em.fork().transactional((em) => codec.find(em, undefined, keys))).toEqual([]);
  });

  it('keeps a saga’s folded state (json) and a nullable integer, and writes into another schema (a rebuild’s)', async () => {
    const codec = new RowCodec(db.orm.getMetadata(SagaWorkEntity), db.orm.em.getPlatform());
    await db.pool.query(`create schema rebuild_codec; create table rebuild_codec.saga_work (like public.saga_work including all)`);
    const row: SagaWorkRow = {
      sagaId: 'saga-1',
      revisionSeen: 4,
      action: 'finish',
      step: null,
      attempts: 0,
      dueAt: new Date('9999-12-31T00:00:00.000Z'),
      state: { status: 'running', steps: [{ name: 'a', output: { id: 7, note: "it's ?" } }] } as never,
    };
    await db.orm.em.fork().transactional((em) => codec.upsert(em, 'rebuild_codec', [row]));
    expect(await db.orm.em.fork().transactional((em) => codec.find(em, 'rebuild_codec', ['saga-1']))).toEqual([row]);
    expect(await db.orm.em.fork().transactional((em) => codec.find(em, undefined, ['saga-1']))).toEqual([]);
  });

  it('writes more rows than one statement takes, in several', async () => {
    const codec = new RowCodec(db.orm.getMetadata(CloudResourceEntity), db.orm.em.getPlatform());
    // 16 columns: 30,000 values make 1,875 rows to a statement
    const rows = Array.from({ length: 4_000 }, (_, i) => resource(`do:droplet:bulk-${i}`));
    await db.orm.em.fork().transactional((em) => codec.upsert(em, undefined, rows));
    const read = await db.orm.em.fork().transactional((em) => codec.find(em, undefined, rows.map((r) => r.resourceId)));
    expect(read).toHaveLength(4_000);
    expect(sortBy(read, 'resourceId')).toEqual(sortBy(rows, 'resourceId'));
  });
});

function sortBy<Row>(rows: Row[], key: keyof Row): Row[] {
  return [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
}
