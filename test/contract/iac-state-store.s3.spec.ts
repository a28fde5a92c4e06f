import { openS3IacStateStore, type S3IacStateStore } from '../../src/adapters/state/s3/s3.iac-state-store.js';
import { type ConditionalS3Server, startConditionalS3Server } from '../support/conditional-s3-server.js';
import { TestClock } from '../support/test-clock.js';
import { describeIacStateStoreContract } from './iac-state-store.contract.js';

async function open(server: ConditionalS3Server, clock = new TestClock()): Promise<S3IacStateStore> {
  const { store, probe } = await openS3IacStateStore({
    endpoint: server.endpoint,
    bucket: server.bucket,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    now: clock.now,
  });
  expect(probe).toEqual({ conditionalWrites: true, ignored: [] });
  return store;
}

// s3rver ignores conditional writes (test/integration/iac-s3-probe.spec.ts shows the store refusing
// it), so the positive path runs against an in-test S3 handler that honours them; see its header.
describeIacStateStoreContract('s3 (in-test conditional-write S3 server)', async () => {
  // a small page size, so list and listLocks follow ListObjectsV2 continuation tokens
  const server = await startConditionalS3Server({ pageSize: 7 });
  const clock = new TestClock();
  const store = await open(server, clock);
  return {
    store,
    clock,
    settle: async () => undefined,
    async teardown() {
      store.close();
      await server.close();
    },
  };
});

describe('the S3 IaC state store object layout', () => {
  let server: ConditionalS3Server;
  let store: S3IacStateStore;

  beforeEach(async () => {
    server = await startConditionalS3Server();
    store = await open(server);
  });
  afterEach(async () => {
    store.close();
    await server.close();
  });

  const body = (key: string): unknown => JSON.parse(server.objects.get(key)!.body.toString('utf8'));

  it('keeps the record as JSON at <prefix><id>.json and the lock at <prefix><id>.lock', async () => {
    // given a saved, locked record
    const saved = await store.save(
      { resource_id: 'do:droplet:9', resource_type: 'droplet', provider: 'digitalocean', status: 'active', outputs: {}, config: {} },
      {},
      { actor: 'token:ci' },
    );
    const lock = await store.lock('do:droplet:9', { owner: 'ci', operation: 'apply' }, { actor: 'token:ci' });

    // then the objects are where the origin layout puts them, holding exactly the record and the lock
    expect([...server.objects.keys()].sort()).toEqual(['iac-state/do:droplet:9.json', 'iac-state/do:droplet:9.lock']);
    expect(body('iac-state/do:droplet:9.json')).toEqual(saved);
    expect(body('iac-state/do:droplet:9.lock')).toEqual(lock);
  });

  it('reads records another tool wrote: null maps, extra fields and all', async () => {
    // given an object written by the origin store's Go code, with a field this build does not know
    const put = await fetch(`${server.endpoint}/${server.bucket}/iac-state/k8s-prod.json`, {
      method: 'PUT',
      body: JSON.stringify({
        resource_id: 'k8s-prod',
        resource_type: 'kubernetes',
        provider: 'digitalocean',
        status: 'provisioning',
        outputs: null,
        config: { node_pool: { size: 's-2vcpu-4gb', count: 3 } },
        created_at: '2026-10-01T00:00:00Z',
        updated_at: '2026-10-01T00:00:00Z',
        added_by_a_newer_tool: true,
      }),
    });
    expect(put.status).toBe(200);

    // when it is read and listed
    const record = await store.get('k8s-prod');

    // then it reads as a record
    expect(record).toEqual({
      resource_id: 'k8s-prod',
      resource_type: 'kubernetes',
      provider: 'digitalocean',
      status: 'provisioning',
      outputs: {},
      config: { node_pool: { size: 's-2vcpu-4gb', count: 3 } },
      created_at: '2026-10-01T00:00:00Z',
      updated_at: '2026-10-01T00:00:00Z',
    });
    expect(await store.list({ resource_type: 'kubernetes' })).toEqual([record]);
  });

  it('settles a lock race with the server’s conditional writes: the losers got 412s', async () => {
    // given 20 clients locking one record at once
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.lock('contended', { owner: `c${i}`, operation: 'apply' }, { actor: 'token:ci' })),
    );

    // then one won, and every loser that raced the winner to the write was refused by the server
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(server.preconditionFailures.put).toBeGreaterThan(0);
    expect(server.preconditionFailures.put).toBeLessThanOrEqual(19);
  });
});
