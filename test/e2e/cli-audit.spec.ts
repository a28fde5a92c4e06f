import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { handleOnStream } from '../../src/application/event-stream.js';
import { specDecider } from '../../src/domain/drift/spec.decider.js';
import { observe as observeCommand, resourceDecider } from '../../src/domain/inventory/resource.decider.js';
import { MANAGED_TAG, type ResourceState } from '../../src/domain/inventory/resource.js';
import { toResourceStream, toSpecStream } from '../../src/domain/streams.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const run = promisify(execFile);
const ID = 'do:droplet:31337';
const state = (size: string): ResourceState => ({
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: '31337',
  name: 'cli-1',
  region: 'nyc3',
  size_slug: size,
  status: 'active',
  tags: [MANAGED_TAG],
  attrs: {},
});

describe('cloudledger audit', () => {
  let db: TestDatabase;
  let between: string;

  beforeAll(async () => {
    db = await createTestDatabase('cl_cli_audit');
    const store = new PostgresEventStore(db.pool, db.url);
    const observe = (s: ResourceState) =>
      handleOnStream(store, toResourceStream(ID), resourceDecider, observeCommand({ resourceId: ID, observed: s, source: 'sync', sagaId: null }), { actor: 'system:sync', correlationId: 'cli', causationId: null });
    await observe(state('s-1vcpu-1gb'));
    await handleOnStream(store, toSpecStream(ID), specDecider, { type: 'RecordSpec', data: { resourceId: ID, spec: { size_slug: 's-1vcpu-1gb' }, reason: 'recorded', sagaId: null } }, { actor: 'alice', correlationId: 'cli', causationId: null });
    await new Promise((r) => setTimeout(r, 30));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    await observe(state('s-2vcpu-2gb'));
    await store.close();
  });
  afterAll(() => db.drop());

  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/adapters/cli/main.ts', ...args], { env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });

  it('prints the history in order with actors, and the state as of a moment', async () => {
    const history = JSON.parse((await cli('audit', ID, '--json')).stdout) as { type: string; actor: string }[];
    expect(history.map((e) => [e.type, e.actor])).toEqual([
      ['ResourceObserved', 'system:sync'],
      ['SpecRecorded', 'alice'],
      ['ResourceChanged', 'system:sync'],
    ]);
    const table = (await cli('audit', ID)).stdout;
    expect(table).toMatch(/size_slug: "s-1vcpu-1gb" → "s-2vcpu-2gb"/);

    const then = JSON.parse((await cli('audit', ID, '--as-of', between)).stdout) as { resource: { state: { size_slug: string } }; spec: { version: number } };
    expect(then).toMatchObject({ resource: { state: { size_slug: 's-1vcpu-1gb' } }, spec: { version: 1 } });
  });

  it('says clearly what is wrong: an unknown resource, a bad time', async () => {
    await expect(cli('audit', 'do:droplet:404')).rejects.toMatchObject({ stderr: expect.stringMatching(/no events about do:droplet:404/) });
    await expect(cli('audit', ID, '--as-of', 'yesterday')).rejects.toMatchObject({ stderr: expect.stringMatching(/--as-of must be an RFC 3339 time/) });
  });
});
