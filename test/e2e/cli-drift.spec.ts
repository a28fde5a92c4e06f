import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { resizeBehindItsBack, type SeededDroplet, seedManagedDroplets } from '../support/managed-droplets.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);

/** The drift CLI against a running service's database: the service's projections keep the read models current. */
describe('cloudledger drift', () => {
  let sim: RunningSimulator;
  let app: TestApp;
  let seeded: SeededDroplet[];

  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 100, actionMs: 100, tagListLagMs: 100 } });
    app = await startTestApp({ DIGITALOCEAN_TOKEN: 'dop_v1_cli_drift', DIGITALOCEAN_API_URL: sim.url, INVENTORY_SYNC_CRON: 'off', DRIFT_DETECT_CRON: 'off' });
    seeded = await seedManagedDroplets(app, sim, 'cli', 4);
    await resizeBehindItsBack(app, sim, seeded.slice(0, 3), 's-6vcpu-6gb');
  });
  afterAll(async () => {
    await app?.close();
    await sim?.close();
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/adapters/cli/main.ts', 'drift', ...args], {
      env: { ...process.env, DATABASE_URL: app.db.url, LOG_LEVEL: 'warn', INVENTORY_SYNC_CRON: 'off', DRIFT_DETECT_CRON: 'off' },
    });
  const json = async (...args: string[]): Promise<Json> => JSON.parse((await cli(...args, '--json')).stdout) as Json;
  const mine = (items: Json[]) => items.filter((d) => seeded.some((s) => s.resourceId === d.resourceId));

  it('lists drift by status, resource and field, and groups it by cause', async () => {
    expect(mine((await json('list')).items as Json[])).toHaveLength(3);
    await expect(cli('list', '--status', 'closed')).rejects.toMatchObject({ stderr: expect.stringMatching(/status: must be one of open, ignored/) });

    const groups = (await json('groups')).items as Json[];
    expect(groups.find((g) => g.actual === 's-6vcpu-6gb')).toMatchObject({ field: 'size_slug', expected: 's-1vcpu-1gb', count: 3 });
    expect((await cli('groups')).stdout).toMatch(/GROUPID\s+FIELD\s+EXPECTED\s+ACTUAL\s+COUNT/);
  });

  it('makes a policy that takes effect at once, lists it with what it matched, and ends it', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const policy = await json('policies', 'create', '--resource', seeded[0]!.resourceId, '--field', 'size_slug', '--owner', 'ops', '--reason', 'cli test', '--expires-at', expiresAt);
    expect(policy).toMatchObject({ status: 'live', ignoring: 1, createdBy: 'cli' });
    const [ignored] = (await json('list', '--status', 'ignored', '--field', 'size_slug')).items as Json[];
    expect(ignored).toMatchObject({ resourceId: seeded[0]!.resourceId, policyId: policy.policyId });
    expect(((await json('policies', 'list')).items as Json[]).find((p) => p.policyId === policy.policyId)).toMatchObject({ matched: 1 });
    await expect(cli('policies', 'create', '--resource', '*', '--field', '*', '--owner', 'o', '--reason', 'r', '--expires-at', '2020-01-01T00:00:00Z')).rejects.toMatchObject({
      stderr: expect.stringMatching(/expiresAt: must be in the future/),
    });

    expect((await cli('policies', 'end', policy.policyId as string)).stdout).toMatch(/ended/);
    expect(mine((await json('list')).items as Json[])).toHaveLength(3);
  });

  it('resolves a group: a dry run lists, the real run accepts each drift; ignore needs its terms', async () => {
    const group = ((await json('groups')).items as Json[]).find((g) => g.actual === 's-6vcpu-6gb')!;
    const dry = await json('resolve-group', group.groupId as string, 'accept', '--dry-run');
    expect(dry).toMatchObject({ dryRun: true });
    expect((dry.items as Json[]).map((i) => i.resourceId).sort()).toEqual(seeded.slice(0, 3).map((s) => s.resourceId).sort());
    await expect(cli('resolve-group', group.groupId as string, 'ignore')).rejects.toMatchObject({ stderr: expect.stringMatching(/owner/) });

    const { stdout } = await cli('resolve-group', group.groupId as string, 'accept');
    expect(stdout).toMatch(/accept: 3 succeeded, 0 failed/);
    const accepted = (await json('list', '--status', 'accepted')).items as Json[];
    expect(mine(accepted).map((d) => d.resolvedBy)).toEqual(['cli', 'cli', 'cli']);
    await expect(cli('resolve-group', group.groupId as string, 'accept')).rejects.toMatchObject({ stderr: expect.stringMatching(/no open drift in group/) });
  });
});
