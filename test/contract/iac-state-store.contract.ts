import { randomUUID } from 'node:crypto';
import type { IacStateRecordInput } from '../../src/domain/iac/iac-state.js';
import {
  type IacCallContext,
  type IacStateStore,
  InvalidIacRequest,
  InvalidStateRecord,
  LockHeld,
  LockIdMismatch,
  LockNotFound,
  StateNotFound,
} from '../../src/domain/iac/iac-state-store.port.js';
import type { TestClock } from '../support/test-clock.js';

export interface IacStateStoreFixture {
  readonly store: IacStateStore;
  /** The clock the store judges expiry by. */
  readonly clock: TestClock;
  /** Resolves once `list` and `listLocks` reflect every write that has returned (read-model backends). */
  settle(): Promise<void>;
  teardown(): Promise<void>;
}

const ci: IacCallContext = { actor: 'token:ci', correlationId: 'req-ci' };
const ops: IacCallContext = { actor: 'token:ops' };
const admin: IacCallContext = { actor: 'token:admin' };

/**
 * The one contract every IaC state backend passes (STYLE.md 7). Resource ids are unique per test
 * (a per-suite prefix plus a counter), so tests share one store without seeing each other's records
 * except through an unfiltered list, which the tests allow for.
 */
export function describeIacStateStoreContract(backend: string, setup: () => Promise<IacStateStoreFixture>): void {
  describe(`IaC state store contract: ${backend}`, () => {
    let fixture: IacStateStoreFixture;
    let store: IacStateStore;
    const run = randomUUID().replace(/-/g, '').slice(0, 8);
    let counter = 0;
    const newId = (label = 'r'): string => `test:${run}:${label}-${++counter}`;

    const record = (resourceId: string, overrides: Partial<IacStateRecordInput> = {}): IacStateRecordInput => ({
      resource_id: resourceId,
      resource_type: 'droplet',
      provider: 'digitalocean',
      status: 'active',
      outputs: { ipv4: '203.0.113.10' },
      config: { size: 's-1vcpu-1gb', tags: ['web'] },
      ...overrides,
    });

    beforeAll(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    describe('records', () => {
      it('gets null for a record never saved, not an error', async () => {
        expect(await store.get(newId())).toBeNull();
      });

      it('saves a record and gets it back as sent, timestamps filled in', async () => {
        const id = newId();
        const before = fixture.clock.now().getTime();
        const saved = await store.save(record(id), {}, ci);
        expect(saved).toMatchObject(record(id));
        expect(Date.parse(saved.created_at)).toBeGreaterThanOrEqual(before - 1000);
        expect(saved.updated_at).toBe(saved.created_at);
        expect(await store.get(id)).toEqual(saved);
      });

      it('round-trips an origin record field for field, keeping the timestamps it carries', async () => {
        const id = newId();
        const origin = {
          ...record(id),
          provider_ref: 'nyc3',
          provider_id: '572017320',
          config_hash: 'sha256:9f2c',
          dependencies: ['do:vpc:1', 'do:firewall:2'],
          error: 'previous apply timed out',
          outputs: { ipv4: '203.0.113.10', ports: [22, 443], nested: { ok: true, none: null } },
          created_at: '2026-11-01T10:00:00Z',
          updated_at: '2026-11-02T10:00:00.123456789+02:00',
        };
        await store.save(JSON.parse(JSON.stringify(origin)), {}, ci);
        expect(JSON.parse(JSON.stringify(await store.get(id)))).toEqual(origin);
      });

      it('replaces a record on save, keeping its created_at when the new one has none', async () => {
        const id = newId();
        const first = await store.save(record(id, { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }), {}, ci);
        const second = await store.save(record(id, { status: 'destroying', outputs: {} }), {}, ci);
        expect(second).toMatchObject({ status: 'destroying', outputs: {}, created_at: first.created_at });
        expect(second.updated_at).not.toBe(first.updated_at);
        expect(await store.get(id)).toEqual(second);
      });

      it('deletes a record: get returns null, a second delete is StateNotFound, and it can be saved again', async () => {
        const id = newId();
        await store.save(record(id), {}, ci);
        await store.delete(id, {}, ci);
        expect(await store.get(id)).toBeNull();
        await expect(store.delete(id, {}, ci)).rejects.toBeInstanceOf(StateNotFound);
        await expect(store.delete(newId(), {}, ci)).rejects.toBeInstanceOf(StateNotFound);
        await store.save(record(id, { status: 'planned' }), {}, ci);
        expect(await store.get(id)).toMatchObject({ status: 'planned' });
      });
    });

    describe('list', () => {
      it('filters by resource_type, provider and status; an empty or missing filter lists everything; sorted by id', async () => {
        const type = `bucket-${run}`;
        const ids = [newId('c'), newId('a'), newId('b'), newId('d')];
        await store.save(record(ids[0]!, { resource_type: type, provider: 'aws', status: 'active' }), {}, ci);
        await store.save(record(ids[1]!, { resource_type: type, provider: 'digitalocean', status: 'active' }), {}, ci);
        await store.save(record(ids[2]!, { resource_type: type, provider: 'digitalocean', status: 'error', error: 'quota' }), {}, ci);
        await store.save(record(ids[3]!, { resource_type: `other-${run}`, provider: 'digitalocean', status: 'active' }), {}, ci);
        await fixture.settle();

        const idsOf = (records: { resource_id: string }[]): string[] => records.map((r) => r.resource_id);
        expect(idsOf(await store.list({ resource_type: type }))).toEqual([ids[0], ids[1], ids[2]].sort());
        expect(idsOf(await store.list({ resource_type: type, provider: 'digitalocean' }))).toEqual([ids[1], ids[2]].sort());
        expect(idsOf(await store.list({ resource_type: type, status: 'error' }))).toEqual([ids[2]]);
        expect(idsOf(await store.list({ resource_type: type, provider: 'gcp' }))).toEqual([]);
        expect(await store.list({ resource_type: type, status: 'error' })).toEqual([await store.get(ids[2]!)]);

        const all = await store.list();
        expect(idsOf(all)).toEqual(expect.arrayContaining(ids));
        expect(idsOf(all)).toEqual([...idsOf(all)].sort());
        expect(await store.list({})).toEqual(all);
        expect(await store.list({ resource_type: '', provider: '', status: '' })).toEqual(all);
      });

      it('pages by resource id in code-point order: each record once, the filter kept across pages', async () => {
        const type = `paged-${run}`;
        // ids whose code-point order differs from a natural-language collation and from key order
        const ids = [newId('b'), newId('B'), newId('a-b'), newId('a.b'), newId('a_b'), newId('A')];
        for (const id of ids) await store.save(record(id, { resource_type: type }), {}, ci);
        await store.save(record(newId('z'), { resource_type: `other-${run}` }), {}, ci);
        await store.lock(ids[0]!, { owner: 'p1', operation: 'apply' }, ci);
        await store.lock(ids[3]!, { owner: 'p2', operation: 'apply' }, ci);
        await fixture.settle();

        const walked: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.list({ resource_type: type }, { limit: 1, after });
          if (page.length === 0) break;
          expect(page).toHaveLength(1);
          walked.push(page[0]!.resource_id);
          after = page[0]!.resource_id;
        }
        const byCodePoint = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(walked).toEqual(byCodePoint);
        expect((await store.list({ resource_type: type }, { limit: 4 })).map((r) => r.resource_id)).toEqual(byCodePoint.slice(0, 4));
        expect((await store.list({ resource_type: type }, { limit: 100, after: byCodePoint[3] })).map((r) => r.resource_id)).toEqual(byCodePoint.slice(4));

        const locks = (await store.listLocks()).filter((l) => ids.includes(l.resourceId)).map((l) => l.resourceId);
        const firstLock = await store.listLocks({ limit: 1, after: locks[0]!.slice(0, -1) });
        expect(firstLock.map((l) => l.resourceId)).toEqual([locks[0]]);
        const rest = await store.listLocks({ limit: 500, after: locks[0] });
        expect(rest.map((l) => l.resourceId)).toContain(locks[1]);
        expect(rest.map((l) => l.resourceId)).not.toContain(locks[0]);
        await expect(store.list({}, { limit: 0 })).rejects.toBeInstanceOf(InvalidIacRequest);
        await expect(store.list({}, { limit: 1, after: 'has/slash' })).rejects.toBeInstanceOf(InvalidIacRequest);
      });

      it('reflects replacements and deletions', async () => {
        const type = `queue-${run}`;
        const [a, b] = [newId(), newId()];
        await store.save(record(a, { resource_type: type }), {}, ci);
        await store.save(record(b, { resource_type: type }), {}, ci);
        await store.save(record(a, { resource_type: type, status: 'destroyed' }), {}, ci);
        await store.delete(b, {}, ci);
        await fixture.settle();
        expect(await store.list({ resource_type: type })).toEqual([await store.get(a)]);
        expect((await store.list({ resource_type: type }))[0]).toMatchObject({ status: 'destroyed' });
      });

      it('refuses an unknown filter key or status', async () => {
        await expect(store.list({ region: 'nyc3' } as never)).rejects.toBeInstanceOf(InvalidIacRequest);
        await expect(store.list({ status: 'running' } as never)).rejects.toBeInstanceOf(InvalidIacRequest);
      });
    });

    describe('locks', () => {
      it('locks a record (saved or not), reports the lock, refuses a second locker, and unlocks', async () => {
        const id = newId();
        const now = fixture.clock.now().getTime();
        const lock = await store.lock(id, { owner: 'pipeline-42', operation: 'apply', info: 'tf 1.9', ttlSeconds: 120 }, ci);
        expect(lock).toMatchObject({ resourceId: id, owner: 'pipeline-42', operation: 'apply', info: 'tf 1.9', who: 'token:ci', ttlSeconds: 120 });
        expect(lock.lockId).toEqual(expect.any(String));
        expect(Date.parse(lock.acquiredAt)).toBeGreaterThanOrEqual(now - 1000);
        expect(Date.parse(lock.expiresAt) - Date.parse(lock.acquiredAt)).toBe(120_000);
        expect(await store.getLock(id)).toEqual(lock);
        expect(await store.get(id)).toBeNull();

        const held = await store.lock(id, { owner: 'laptop-7', operation: 'plan' }, ops).catch((e: unknown) => e);
        expect(held).toBeInstanceOf(LockHeld);
        expect(held).toMatchObject({ owner: 'pipeline-42', operation: 'apply', who: 'token:ci', expiresAt: lock.expiresAt });
        expect(held).not.toHaveProperty('lockId');

        // the lock is ci's: its id from another principal is refused as held, a wrong id from ci is a mismatch
        await expect(store.unlock(id, lock.lockId, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.renewLock(id, lock.lockId, {}, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.unlock(id, 'not-the-lock', ci)).rejects.toBeInstanceOf(LockIdMismatch);
        expect(await store.getLock(id)).toEqual(lock);
        await store.unlock(id, lock.lockId, ci);
        expect(await store.getLock(id)).toBeNull();
        await expect(store.unlock(id, lock.lockId, ci)).rejects.toBeInstanceOf(LockNotFound);
        const next = await store.lock(id, { owner: 'laptop-7', operation: 'plan' }, ops);
        expect(next.lockId).not.toBe(lock.lockId);
      });

      it('gives the lock to the principal by id: a token that reuses the name cannot use it, the holder can', async () => {
        const id = newId();
        const holder: IacCallContext = { actor: 'token:deploy', actorId: 'token-id-1' };
        const sameName: IacCallContext = { actor: 'token:deploy', actorId: 'token-id-2' };
        const lock = await store.lock(id, { owner: 'pipeline-7', operation: 'apply' }, holder);
        expect(lock).toMatchObject({ who: 'token:deploy', whoId: 'token-id-1' });

        await expect(store.save(record(id), { lockId: lock.lockId }, sameName)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.unlock(id, lock.lockId, sameName)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.lock(id, { owner: 'pipeline-7', operation: 'apply', lockId: lock.lockId }, sameName)).rejects.toBeInstanceOf(LockHeld);
        expect(await store.get(id)).toBeNull();

        await store.save(record(id), { lockId: lock.lockId }, holder);
        await store.unlock(id, lock.lockId, holder);
        expect(await store.getLock(id)).toBeNull();
      });

      it('uses the lock id the caller brings, and treats a retried request for it as already granted', async () => {
        const id = newId();
        const lock = await store.lock(id, { owner: 'terraform', operation: 'apply', lockId: 'tf-lock-1' }, ci);
        expect(lock.lockId).toBe('tf-lock-1');
        expect(await store.lock(id, { owner: 'terraform', operation: 'apply', lockId: 'tf-lock-1' }, ci)).toEqual(lock);
        await expect(store.lock(id, { owner: 'someone-else', operation: 'apply', lockId: 'tf-lock-1' }, ops)).rejects.toBeInstanceOf(LockHeld);
      });

      it("refuses a save or delete under someone else's lock, and lets the holder write", async () => {
        const id = newId();
        const original = await store.save(record(id), {}, ci);
        const lock = await store.lock(id, { owner: 'pipeline-42', operation: 'apply' }, ci);

        await expect(store.save(record(id, { status: 'error' }), {}, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.save(record(id, { status: 'error' }), { lockId: lock.lockId }, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.save(record(id, { status: 'error' }), { lockId: 'other' }, ci)).rejects.toMatchObject({
          name: 'LockIdMismatch',
          lockId: 'other',
          heldLockId: lock.lockId,
        });
        await expect(store.delete(id, {}, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.delete(id, { lockId: lock.lockId }, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.delete(id, { lockId: 'other' }, ci)).rejects.toBeInstanceOf(LockIdMismatch);
        expect(await store.get(id)).toEqual(original);

        const saved = await store.save(record(id, { status: 'destroying' }), { lockId: lock.lockId }, ci);
        expect(await store.get(id)).toEqual(saved);
        await store.delete(id, { lockId: lock.lockId }, ci);
        expect(await store.get(id)).toBeNull();
        expect(await store.getLock(id)).toEqual(lock);
      });

      it('refuses a write naming a lock id when no lock is held', async () => {
        const id = newId();
        await store.save(record(id), {}, ci);
        await expect(store.save(record(id, { status: 'error' }), { lockId: 'stale' }, ci)).rejects.toBeInstanceOf(LockNotFound);
        await expect(store.delete(id, { lockId: 'stale' }, ci)).rejects.toBeInstanceOf(LockNotFound);
        expect(await store.get(id)).toMatchObject({ status: 'active' });
      });

      it('lets a lock expire: it is free at its expiry, its holder loses it, another client takes it over', async () => {
        const id = newId();
        await store.save(record(id), {}, ci);
        const old = await store.lock(id, { owner: 'pipeline-42', operation: 'apply', ttlSeconds: 60 }, ci);
        fixture.clock.advance(30);
        await expect(store.lock(id, { owner: 'laptop-7', operation: 'plan' }, ops)).rejects.toBeInstanceOf(LockHeld);

        fixture.clock.advance(31);
        expect(await store.getLock(id)).toBeNull();
        await expect(store.save(record(id, { status: 'error' }), { lockId: old.lockId }, ci)).rejects.toBeInstanceOf(LockNotFound);
        await expect(store.renewLock(id, old.lockId, {}, ci)).rejects.toBeInstanceOf(LockNotFound);

        const taken = await store.lock(id, { owner: 'laptop-7', operation: 'plan' }, ops);
        expect(taken).toMatchObject({ owner: 'laptop-7', who: 'token:ops' });
        expect(await store.getLock(id)).toEqual(taken);
        // the former holder is no longer the holder: the lock is someone else's now
        await expect(store.unlock(id, old.lockId, ci)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.save(record(id), { lockId: old.lockId }, ci)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.unlock(id, old.lockId, ops)).rejects.toBeInstanceOf(LockIdMismatch);
        await store.save(record(id, { status: 'provisioning' }), { lockId: taken.lockId }, ops);
        expect(await store.get(id)).toMatchObject({ status: 'provisioning' });
      });

      it('lets an unlocked write through an expired lock', async () => {
        const id = newId();
        await store.save(record(id), {}, ci);
        await store.lock(id, { owner: 'pipeline-42', operation: 'apply', ttlSeconds: 10 }, ci);
        fixture.clock.advance(11);
        await store.save(record(id, { status: 'destroyed' }), {}, ops);
        expect(await store.get(id)).toMatchObject({ status: 'destroyed' });
        expect(await store.getLock(id)).toBeNull();
      });

      it('renews for the holder only, from now, by the lock’s ttl unless given another', async () => {
        const id = newId();
        const lock = await store.lock(id, { owner: 'pipeline-42', operation: 'apply', ttlSeconds: 60 }, ci);
        fixture.clock.advance(50);
        const renewed = await store.renewLock(id, lock.lockId, {}, ci);
        expect(renewed).toMatchObject({ lockId: lock.lockId, owner: 'pipeline-42', acquiredAt: lock.acquiredAt, ttlSeconds: 60 });
        expect(Date.parse(renewed.expiresAt)).toBeGreaterThanOrEqual(Date.parse(lock.expiresAt) + 49_000);

        fixture.clock.advance(50); // past the first expiry, inside the renewed one
        await expect(store.lock(id, { owner: 'laptop-7', operation: 'plan' }, ops)).rejects.toBeInstanceOf(LockHeld);
        await expect(store.renewLock(id, 'not-the-lock', {}, ci)).rejects.toBeInstanceOf(LockIdMismatch);
        await expect(store.renewLock(id, lock.lockId, {}, ops)).rejects.toBeInstanceOf(LockHeld);

        const longer = await store.renewLock(id, lock.lockId, { ttlSeconds: 3600 }, ci);
        expect(Date.parse(longer.expiresAt) - fixture.clock.now().getTime()).toBeGreaterThan(3500_000);
        expect(await store.getLock(id)).toEqual(longer);
        await expect(store.renewLock(newId(), lock.lockId, {}, ci)).rejects.toBeInstanceOf(LockNotFound);
      });

      it('force-unlocks a live or expired lock named by its id, returning it', async () => {
        const id = newId();
        const lock = await store.lock(id, { owner: 'pipeline-42', operation: 'apply' }, ci);
        await expect(store.forceUnlock(id, 'older-lock', admin)).rejects.toBeInstanceOf(LockIdMismatch);
        expect(await store.forceUnlock(id, lock.lockId, admin)).toEqual(lock);
        expect(await store.getLock(id)).toBeNull();
        await expect(store.forceUnlock(id, lock.lockId, admin)).rejects.toBeInstanceOf(LockNotFound);
        await expect(store.unlock(id, lock.lockId, ci)).rejects.toBeInstanceOf(LockNotFound);

        const stale = await store.lock(id, { owner: 'crashed-runner', operation: 'apply', ttlSeconds: 5 }, ci);
        fixture.clock.advance(6);
        expect(await store.forceUnlock(id, stale.lockId, admin)).toMatchObject({ lockId: stale.lockId, owner: 'crashed-runner' });
        await store.lock(id, { owner: 'laptop-7', operation: 'plan' }, ops);
      });

      it('lists live locks only', async () => {
        const [a, b, c] = [newId('la'), newId('lb'), newId('lc')];
        const lockA = await store.lock(a, { owner: 'x', operation: 'apply', ttlSeconds: 3600 }, ci);
        await store.lock(b, { owner: 'y', operation: 'apply', ttlSeconds: 3600 }, ci).then((l) => store.unlock(b, l.lockId, ci));
        await store.lock(c, { owner: 'z', operation: 'apply', ttlSeconds: 1 }, ci);
        fixture.clock.advance(2);
        await fixture.settle();
        const mine = (await store.listLocks()).filter((l) => [a, b, c].includes(l.resourceId));
        expect(mine).toEqual([lockA]);
      });
    });

    describe('races', () => {
      it('lets exactly one of 20 concurrent lockers win, 50 times over', async () => {
        for (let round = 0; round < 50; round++) {
          const id = newId('race');
          const outcomes = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) => store.lock(id, { owner: `locker-${i}`, operation: 'apply' }, ci)),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
          expect(won).toHaveLength(1);
          for (const o of lost) expect(o.reason).toBeInstanceOf(LockHeld);
          const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<IacStateStore['lock']>>>).value;
          expect(await store.getLock(id)).toEqual(winner);
          for (const o of lost) expect((o.reason as LockHeld).owner).toBe(winner.owner);
        }
      });

      it('lets exactly one of 20 concurrent lockers take over an expired lock, 20 times over', async () => {
        for (let round = 0; round < 20; round++) {
          const id = newId('takeover');
          await store.lock(id, { owner: 'crashed', operation: 'apply', ttlSeconds: 1 }, ci);
          fixture.clock.advance(2);
          const outcomes = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) => store.lock(id, { owner: `locker-${i}`, operation: 'apply' }, ci)),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          expect(won).toHaveLength(1);
          for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(LockHeld);
          expect(await store.getLock(id)).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
        }
      });
    });

    describe('bad input', () => {
      it('refuses an invalid status with a field issue, writing nothing', async () => {
        const id = newId();
        const error = await store.save({ ...record(id), status: 'running' }, {}, ci).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidStateRecord);
        expect((error as InvalidStateRecord).issues).toEqual([{ path: 'status', message: expect.stringMatching(/planned, provisioning/) }]);
        expect(await store.get(id)).toBeNull();
      });

      it('refuses a record without a resource id', async () => {
        const { resource_id: _, ...withoutId } = record(newId());
        const error = await store.save(withoutId, {}, ci).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidStateRecord);
        expect((error as InvalidStateRecord).issues).toEqual([{ path: 'resource_id', message: 'resource id is required' }]);
      });

      it('refuses a config over 256 KiB, leaving the stored record as it was', async () => {
        const id = newId();
        const original = await store.save(record(id), {}, ci);
        const error = await store.save(record(id, { config: { blob: 'x'.repeat(256 * 1024) } }), {}, ci).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidStateRecord);
        expect((error as InvalidStateRecord).issues).toEqual([{ path: 'config', message: expect.stringMatching(/limit is 256 KiB/) }]);
        expect(await store.get(id)).toEqual(original);
      });

      it('refuses a wrong lock id on save, delete, renew and unlock, changing nothing', async () => {
        const id = newId();
        const original = await store.save(record(id), {}, ci);
        const lock = await store.lock(id, { owner: 'pipeline-42', operation: 'apply' }, ci);
        for (const attempt of [
          store.save(record(id, { status: 'error' }), { lockId: 'wrong' }, ci),
          store.delete(id, { lockId: 'wrong' }, ci),
          store.renewLock(id, 'wrong', {}, ci),
          store.unlock(id, 'wrong', ci),
        ]) {
          await expect(attempt).rejects.toBeInstanceOf(LockIdMismatch);
        }
        expect(await store.get(id)).toEqual(original);
        expect(await store.getLock(id)).toEqual(lock);
      });

      it('refuses a bad resource id, lock request or missing actor before touching storage', async () => {
        await expect(store.get('has/slash')).rejects.toBeInstanceOf(InvalidIacRequest);
        await expect(store.delete('', {}, ci)).rejects.toBeInstanceOf(InvalidIacRequest);
        await expect(store.lock(newId(), { owner: '', operation: 'apply' }, ci)).rejects.toMatchObject({
          name: 'InvalidIacRequest',
          issues: [{ path: 'owner', message: 'owner is required' }],
        });
        await expect(store.lock(newId(), { owner: 'x', operation: 'apply', ttlSeconds: 0 }, ci)).rejects.toBeInstanceOf(InvalidIacRequest);
        const id = newId();
        await expect(store.save(record(id), {}, { actor: '' })).rejects.toMatchObject({ name: 'InvalidIacRequest', issues: [{ path: 'context.actor' }] });
        expect(await store.get(id)).toBeNull();
      });
    });
  });
}
