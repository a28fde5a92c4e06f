import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { openIacStateStore } from '../../src/adapters/state/iac-state-store.factory.js';
import { openS3IacStateStore } from '../../src/adapters/state/s3/s3.iac-state-store.js';
import { UnsafeS3Server } from '../../src/adapters/state/s3/s3.probe.js';
import { hasHistory, LockingDisabled, LockNotFound } from '../../src/domain/iac/iac-state-store.port.js';
import { startConditionalS3Server } from '../support/conditional-s3-server.js';

const BUCKET = 'iac-probe';
const SECRET = 'S3RVER';
const ci = { actor: 'token:ci' };

/**
 * The S3 backend checks at start that the server honours conditional writes. s3rver is a real
 * S3-compatible server that ignores If-None-Match on PutObject: exactly the server locking would be
 * unsafe on, so the store must refuse it unless the operator opts out of locking.
 */
describe('the S3 IaC state store probe', () => {
  describe('against s3rver, which ignores If-None-Match', () => {
    let directory: string;
    let server: S3rver;
    let endpoint: string;
    const options = () => ({ endpoint, bucket: BUCKET, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: SECRET });

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 's3rver-'));
      server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
      const { port } = await server.run();
      endpoint = `http://127.0.0.1:${port}`;
    });
    afterAll(async () => {
      await server?.close();
      await rm(directory, { recursive: true, force: true });
    });

    async function keysInBucket(): Promise<string[]> {
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: SECRET } });
      try {
        const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
        return (page.Contents ?? []).map((o) => o.Key!);
      } finally {
        client.destroy();
      }
    }

    it('refuses to start with locking on, saying why and what to do, without leaking the secret', async () => {
      const error = await openS3IacStateStore(options()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(UnsafeS3Server);
      expect(error).toMatchObject({ endpoint, bucket: BUCKET, ignored: ['If-None-Match on PutObject'] });
      expect((error as Error).message).toMatch(/ignores If-None-Match on PutObject/);
      expect((error as Error).message).toMatch(/locking: false/);
      expect((error as Error).message).not.toContain(SECRET);
      expect(await keysInBucket()).toEqual([]);
    });

    it('is refused the same way through the composition root’s factory', async () => {
      const opening = openIacStateStore({ backend: 's3', s3: options() }, { eventStore: undefined as never, orm: undefined as never });
      await expect(opening).rejects.toBeInstanceOf(UnsafeS3Server);
      const opened = await openIacStateStore({ backend: 's3', s3: { ...options(), locking: false } }, { eventStore: undefined as never, orm: undefined as never });
      expect(opened.probe).toMatchObject({ conditionalWrites: false });
      expect(hasHistory(opened.store)).toBe(false);
      await opened.close();
    });

    it('starts when the operator opts out of locking: records work, lock calls are refused', async () => {
      const { store, probe } = await openS3IacStateStore({ ...options(), locking: false, prefix: 'unlocked/' });
      expect(probe).toEqual({ conditionalWrites: false, ignored: ['If-None-Match on PutObject'] });

      const record = { resource_id: 'do:droplet:1', resource_type: 'droplet', provider: 'digitalocean', status: 'active', outputs: {}, config: { size: 's-1vcpu-1gb' } };
      const saved = await store.save(record, {}, ci);
      expect(await store.get('do:droplet:1')).toEqual(saved);
      await store.save({ ...record, resource_id: 'do:droplet:2', status: 'error' }, {}, ci);
      expect((await store.list({ status: 'error' })).map((r) => r.resource_id)).toEqual(['do:droplet:2']);
      expect((await store.list()).map((r) => r.resource_id)).toEqual(['do:droplet:1', 'do:droplet:2']);
      await store.delete('do:droplet:1', {}, ci);
      expect(await store.get('do:droplet:1')).toBeNull();
      expect(await keysInBucket()).toEqual(['unlocked/do:droplet:2.json']);

      await expect(store.lock('do:droplet:2', { owner: 'ci', operation: 'apply' }, ci)).rejects.toBeInstanceOf(LockingDisabled);
      await expect(store.renewLock('do:droplet:2', 'l', {}, ci)).rejects.toBeInstanceOf(LockingDisabled);
      await expect(store.unlock('do:droplet:2', 'l', ci)).rejects.toBeInstanceOf(LockingDisabled);
      await expect(store.forceUnlock('do:droplet:2', 'l', ci)).rejects.toBeInstanceOf(LockNotFound);
      expect(await store.getLock('do:droplet:2')).toBeNull();
      expect(await store.listLocks()).toEqual([]);
      store.close();
    });
  });

  describe('against a server that honours If-None-Match but ignores If-Match', () => {
    it('refuses to start: taking over, renewing or releasing a lock would be unsafe', async () => {
      const server = await startConditionalS3Server({ ignoreIfMatch: true });
      try {
        const error = await openS3IacStateStore({ endpoint: server.endpoint, bucket: server.bucket, forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(UnsafeS3Server);
        expect((error as UnsafeS3Server).ignored).toEqual(['If-Match on PutObject', 'If-Match on DeleteObject']);
        expect(server.objects.size).toBe(0);
      } finally {
        await server.close();
      }
    });
  });

  describe('against a server that honours conditional writes', () => {
    it('starts, and leaves no probe object behind', async () => {
      const server = await startConditionalS3Server();
      try {
        const { store, probe } = await openS3IacStateStore({ endpoint: server.endpoint, bucket: server.bucket, forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' });
        expect(probe).toEqual({ conditionalWrites: true, ignored: [] });
        expect(server.preconditionFailures).toEqual({ put: 2, delete: 1 });
        expect(server.objects.size).toBe(0);
        store.close();
      } finally {
        await server.close();
      }
    });
  });
});
