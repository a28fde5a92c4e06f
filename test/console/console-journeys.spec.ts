import type { Browser, Locator, Page } from 'playwright-core';
import { type BlackBox, startBlackBox } from '../support/black-box.js';
import { waitFor } from '../support/wait.js';
import { actionsOnPage, checkPage, launchChromium, newPerson, signIn, tabTo } from './support/browser.js';
import { driftById, groupOf, openDrift, provision, provisioned, resizeBehindItsBack, sagaOf, sagaReaches, sync } from './support/box-steps.js';

/** A datetime-local value for an instant (the browser runs in UTC): seconds kept, so "as of" can fall between two events of one minute. */
const localInput = (iso: string): string => iso.slice(0, 19);
/** The first whole second at or after an instant: the input drops milliseconds, and rounding down could fall before the instant. */
const wholeSecondAfter = (iso: string): string => new Date(Math.ceil(Date.parse(iso) / 1000) * 1000).toISOString();

/** Marks the document, so a later look can tell the page updated itself from a reload (a reload loses the mark). */
const markDocument = (page: Page) => page.evaluate(() => void ((globalThis as unknown as Record<string, unknown>).__sameDocument = true));
const sameDocument = (page: Page) => page.evaluate(() => (globalThis as unknown as Record<string, unknown>).__sameDocument === true);

const NO_FAULTS = { errorRate: 0, latencyMs: 0, burst5xx: 0, burst429: 0 };

/**
 * The operator console driven in headless Chromium against a real `cloudledger serve` and a
 * standalone simulator, one journey per test, in the order a day goes: what one journey leaves
 * (a drifted droplet) the next one looks at. Every page visited passes axe-core (no serious or
 * critical violation) and lets Tab reach each of its controls; its screenshot goes to docs/console.
 */
describe('the operator console, journey by journey', () => {
  let box: BlackBox;
  let browser: Browser;
  const people: { close(): Promise<void> }[] = [];
  const person = async () => {
    const made = await newPerson(browser);
    people.push(made.context);
    return made.page;
  };

  /** Left by the drift journey for the time-travel one. */
  let drifted: { resourceId: string; beforeDrift: string } | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
    box = await startBlackBox({ SAGA_DEMO_DEFINITIONS: 'true' });
  });
  afterEach(async () => {
    await Promise.all(people.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await box?.close();
    await browser?.close();
  });

  it('signs in with a pasted token, keyboard only; the token lives in sessionStorage, never localStorage', async () => {
    const page = await person();
    await page.goto(`${box.url}/console/`);
    await expectHeading(page, /^Sign in/);
    await checkPage(page, 'sign-in');

    await tabTo(page, page.getByTestId('signin-token'));
    await page.keyboard.type(box.tokens.operator);
    await page.keyboard.press('Enter');
    await expectText(page.getByTestId('whoami'), /bb-operator · operator/);
    await expectHeading(page, 'Overview');
    const storage = await page.evaluate(() => {
      const g = globalThis as unknown as { sessionStorage: Storage; localStorage: Storage };
      return { session: g.sessionStorage.getItem('cloudledger.token'), local: JSON.stringify({ ...g.localStorage }) };
    });
    expect(storage.session).toBe(box.tokens.operator);
    expect(storage.local).not.toContain(box.tokens.operator);
    await checkPage(page, 'overview');

    await page.getByTestId('signout').click();
    await page.getByTestId('signin-form').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: Storage }).sessionStorage.getItem('cloudledger.token'))).toBeNull();
  });

  it('refuses a wrong token on the sign-in form, saying why', async () => {
    const page = await person();
    await page.goto(`${box.url}/console/`);
    await page.getByTestId('signin-token').fill('clt_not-a-token-anyone-made-000000000');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').waitFor();
    expect(await page.getByTestId('whoami').count()).toBe(0);
  });

  it('provisions a droplet and watches its saga appear in the list and finish on its page, live, with no reload', async () => {
    const page = await person();
    await signIn(page, box.url, box.tokens.operator, '/console/sagas');
    await expectHeading(page, 'Sagas');
    await page.locator('[data-testid="live-status"]', { hasText: 'live' }).waitFor();
    await markDocument(page);

    // every DigitalOcean call takes 2.5 s for now: the saga is still running when its page opens
    expect((await box.sim('PUT', '/_sim/faults', { ...NO_FAULTS, latencyMs: 2_500 })).status).toBe(200);
    let sagaId: string;
    try {
      sagaId = await provision(box, 'console-live-1');
      const row = page.locator(`[data-testid="saga-row"][data-saga-id="${sagaId}"]`);
      await row.waitFor({ timeout: 15_000 });
      await checkPage(page, 'sagas-list');

      await row.getByRole('link').first().click();
      await expectHeading(page, `Saga ${sagaId}`);
      expect(await page.getByTestId('saga-status').getAttribute('data-status')).toBe('running');
    } finally {
      await box.sim('PUT', '/_sim/faults', NO_FAULTS);
    }
    await page.locator('[data-testid="saga-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    expect(await sameDocument(page)).toBe(true);
    await page.locator('[data-testid="step"][data-status="succeeded"]').nth(2).waitFor();
    expect(await page.locator('[data-testid="step"]').evaluateAll((steps) => steps.map((s) => s.getAttribute('data-status')))).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await page.locator('[data-testid="saga-timeline"][data-rendered="true"]').waitFor();

    // each event's JSON opens on demand
    await page.getByTestId('events-load').click();
    const first = page.getByTestId('event').first();
    await first.waitFor();
    expect(await first.getAttribute('data-type')).toBe('SagaStarted');
    await first.getByTestId('event-json-toggle').click();
    await expectText(first.getByTestId('event-json'), sagaId);
    await checkPage(page, 'saga');
    expect((await sagaOf(box, sagaId)).status).toBe('completed');
  });

  it('sees drift appear in the inbox after a resize behind its back and a sync, and accepts it with the keyboard', async () => {
    const droplet = await provisioned(box, 'console-drift-1');
    // a moment the droplet exists at its first size; the resize comes more than a second later, so
    // the whole second after this moment (what a datetime-local input can hold) is still before it
    const beforeDrift = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1_500));
    await resizeBehindItsBack(box, droplet.dropletId, 's-2vcpu-4gb');
    await sync(box);
    const drift = await openDrift(box, droplet.resourceId, 'size_slug');
    const group = await groupOf(box, 'size_slug', 's-2vcpu-4gb', 1);
    drifted = { resourceId: droplet.resourceId, beforeDrift };

    const page = await person();
    await signIn(page, box.url, box.tokens.admin, '/console/drift');
    await expectHeading(page, 'Drift inbox');
    await page.locator('[data-testid="drift-groups"][data-rendered="true"]').waitFor();
    const groupRow = page.locator(`[data-testid="drift-group"][data-group-id="${group.groupId}"]`);
    expect(await groupRow.getAttribute('data-count')).toBe('1');
    await checkPage(page, 'drift-inbox');

    await groupRow.getByTestId('group-expand').click();
    const driftRow = groupRow.locator(`[data-testid="drift-row"][data-drift-id="${drift.id}"]`);
    await driftRow.waitFor();
    expect(await driftRow.getAttribute('data-resource-id')).toBe(droplet.resourceId);

    await tabTo(page, driftRow.locator('[data-action="accept"]'));
    await page.keyboard.press('Enter');
    await page.getByTestId('action-outcome').waitFor();
    await waitFor(async () => ((await driftById(box, drift.id)).status === 'accepted' ? true : undefined), 'the drift to be accepted');
    await driftRow.waitFor({ state: 'detached' });
    const spec = await box.request('GET', `/api/v1/specs/${encodeURIComponent(droplet.resourceId)}`, { token: box.tokens.viewer });
    expect(spec.body.spec.size_slug).toBe('s-2vcpu-4gb');
  });

  it('bulk-ignores a group through its dry run: the dialog lists it, the count is typed, and exactly that list is ignored', async () => {
    const [a, b, c, late] = await Promise.all(['console-bulk-a', 'console-bulk-b', 'console-bulk-c', 'console-bulk-late'].map((name) => provisioned(box, name)));
    for (const d of [a!, b!, c!]) await resizeBehindItsBack(box, d.dropletId, 's-4vcpu-8gb');
    await sync(box);
    const group = await groupOf(box, 'size_slug', 's-4vcpu-8gb', 3);
    const listed = [a!, b!, c!].map((d) => d.resourceId).sort();

    const page = await person();
    await signIn(page, box.url, box.tokens.admin, '/console/drift');
    await page.locator('[data-testid="drift-groups"][data-rendered="true"]').waitFor();
    const groupRow = page.locator(`[data-testid="drift-group"][data-group-id="${group.groupId}"]`);
    await groupRow.locator('[data-action="group-ignore"]').click();
    const dialog = page.getByTestId('dialog-bulk');
    await dialog.waitFor();
    await dialog.getByTestId('bulk-dryrun-item').nth(2).waitFor();
    expect(await dialog.getByTestId('bulk-dryrun-item').count()).toBe(3);
    expect((await dialog.getByTestId('bulk-dryrun-list').innerText()).match(/do:droplet:\d+/g)?.sort()).toEqual(listed);
    await expectText(dialog.getByTestId('bulk-count'), '3');

    // a fourth droplet drifts the same way while the dialog is open: the frozen list must not grow
    await resizeBehindItsBack(box, late!.dropletId, 's-4vcpu-8gb');
    await sync(box);
    await groupOf(box, 'size_slug', 's-4vcpu-8gb', 4);

    await dialog.getByTestId('ignore-owner').fill('platform-team');
    await dialog.getByTestId('ignore-reason').fill('load test resized these on purpose');
    await dialog.getByTestId('ignore-expires').fill(localInput(new Date(Date.now() + 7 * 86_400_000).toISOString()).slice(0, 16));
    await dialog.getByTestId('bulk-confirm-input').fill('4');
    expect(await dialog.getByTestId('dialog-confirm').isDisabled()).toBe(true);
    await dialog.getByTestId('bulk-confirm-input').fill('3');
    await checkPage(page, 'drift-bulk-dialog', '[data-testid="dialog-bulk"]');
    await dialog.getByTestId('dialog-confirm').click();

    await page.getByTestId('bulk-results').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('bulk-result').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outcome')))).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await expectText(page.getByTestId('bulk-succeeded'), '3');
    for (const d of [a!, b!, c!]) expect((await box.request('GET', `/api/v1/drift?status=ignored&resourceId=${encodeURIComponent(d.resourceId)}`, { token: box.tokens.viewer })).body.items).toHaveLength(1);
    expect(await openDrift(box, late!.resourceId, 'size_slug')).toMatchObject({ status: 'open' });
  });

  it('opens the drifted resource as of before the drift and sees the old size, and the diff between then and now', async () => {
    if (!drifted) throw new Error('the drift journey left no drifted droplet');
    const { resourceId, beforeDrift } = drifted;
    const then = await box.request('GET', `/api/v1/resources/${encodeURIComponent(resourceId)}/history?asOf=${encodeURIComponent(beforeDrift)}`, { token: box.tokens.viewer });
    expect(then.body).toMatchObject({ resource: { state: { size_slug: 's-1vcpu-1gb' } } });
    const page = await person();
    await signIn(page, box.url, box.tokens.operator, '/console/inventory');
    await expectHeading(page, 'Inventory');
    const row = page.locator(`[data-testid="resource-row"][data-resource-id="${resourceId}"]`);
    await row.waitFor();
    await expectText(page.getByTestId('coverage'), /\d+\s*%/);
    await checkPage(page, 'inventory');

    await row.getByRole('link').first().click();
    await expectHeading(page, `Resource ${resourceId}`);
    await expectText(page.getByTestId('state-size'), 's-2vcpu-4gb');

    await page.getByTestId('asof-input').fill(localInput(wholeSecondAfter(beforeDrift)));
    await page.getByTestId('asof-submit').click();
    await expectText(page.getByTestId('asof-size'), 's-1vcpu-1gb');

    await page.getByTestId('diff-from').fill(localInput(wholeSecondAfter(beforeDrift)));
    await page.getByTestId('diff-to').fill(localInput(new Date(Date.now() + 60_000).toISOString()));
    await page.getByTestId('diff-submit').click();
    await page.getByTestId('diff-result').waitFor();
    const paths = await page.getByTestId('diff-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
    expect(paths.some((p) => p?.includes('size'))).toBe(true);
    await expectText(page.getByTestId('diff-result'), /s-1vcpu-1gb[\s\S]*s-2vcpu-4gb/);
    await checkPage(page, 'resource');
  });

  it('reads a retried saga with "failures only", switched with the Space key: only the step that failed, only its failed attempts', async () => {
    const started = await box.request('POST', '/api/v1/sagas', {
      token: box.tokens.operator,
      body: { kind: 'console-test', definition: 'script', inputs: { steps: [{ op: 'noop' }, { op: 'flaky', failures: 2 }, { op: 'noop' }] } },
    });
    expect(started.status).toBe(202);
    const sagaId = started.body.sagaId as string;
    await sagaReaches(box, sagaId, ['completed']);

    const page = await person();
    await signIn(page, box.url, box.tokens.viewer, `/console/sagas/${encodeURIComponent(sagaId)}`);
    await page.locator('[data-testid="saga-timeline"][data-rendered="true"]').waitFor();
    const steps = page.getByTestId('step');
    await steps.nth(2).waitFor();
    expect(await steps.count()).toBe(3);

    await tabTo(page, page.getByTestId('failures-only'));
    await page.keyboard.press('Space');
    expect(await page.getByTestId('failures-only').isChecked()).toBe(true);
    await steps.nth(1).waitFor({ state: 'detached' });
    expect(await steps.evaluateAll((all) => all.map((s) => s.getAttribute('data-step')))).toEqual(['2-flaky']);
    expect(await page.getByTestId('attempt').evaluateAll((all) => all.map((a) => a.getAttribute('data-outcome')))).toEqual(['retrying', 'retrying']);
    await expectText(page.getByTestId('attempt-error').first(), 'planned failures');
    await checkPage(page);

    await page.keyboard.press('Space');
    await steps.nth(2).waitFor();
    expect(await steps.count()).toBe(3);
  });

  it('cancels a running saga from its page with a reason, and sees it end cancelled, live', async () => {
    const started = await box.request('POST', '/api/v1/sagas', {
      token: box.tokens.operator,
      body: { kind: 'console-test', definition: 'script', inputs: { steps: [{ op: 'noop' }, { op: 'sleep', ms: 600_000 }] } },
    });
    expect(started.status).toBe(202);
    const sagaId = started.body.sagaId as string;
    await waitFor(async () => ((await sagaOf(box, sagaId)).steps[1]?.status === 'waiting' ? true : undefined), 'the saga to sleep in its second step');

    const page = await person();
    await signIn(page, box.url, box.tokens.operator, `/console/sagas/${encodeURIComponent(sagaId)}`);
    await page.locator('[data-testid="saga-status"][data-status="running"]').waitFor();
    await markDocument(page);
    await page.locator('[data-action="cancel"]').click();
    // the dialog element: its own cancel button ("Keep running") carries the same test id, dialog-cancel
    const dialog = page.locator('dialog[data-testid="dialog-cancel"]');
    await dialog.waitFor();
    await dialog.getByTestId('cancel-reason').fill('started by mistake, the sleep would hold it for ten minutes');
    await checkPage(page, undefined, 'dialog[data-testid="dialog-cancel"]');
    await dialog.getByTestId('dialog-confirm').click();

    await page.locator('[data-testid="saga-status"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
    expect(await sameDocument(page)).toBe(true);
    await expectText(page.getByTestId('saga-cancel-reason'), 'started by mistake');
    expect((await sagaReaches(box, sagaId, ['cancelled'])).status).toBe('cancelled');
    expect(await page.locator('[data-action="cancel"]').count()).toBe(0);
    await checkPage(page);
  });

  it('shows a platform admin the policies, closed drift and IaC locks, with who holds each lock and until when', async () => {
    const resourceId = 'do:droplet:777000001';
    const state = {
      resource_id: resourceId,
      resource_type: 'droplet',
      provider: 'digitalocean',
      provider_ref: 'web-console',
      provider_id: '777000001',
      config_hash: 'c0ffee',
      status: 'active',
      outputs: { ipv4: '203.0.113.77' },
      config: { size: 's-1vcpu-1gb' },
      dependencies: [],
      error: '',
    };
    expect((await box.request('PUT', `/api/v1/iac/states/${encodeURIComponent(resourceId)}`, { token: box.tokens.operator, body: state })).status).toBeLessThan(300);
    const lock = await box.request('POST', `/api/v1/iac/states/${encodeURIComponent(resourceId)}/lock`, { token: box.tokens.operator, body: { owner: 'terraform', operation: 'apply', ttlSeconds: 3_600 } });
    expect(lock.status).toBeLessThan(300);

    const page = await person();
    await signIn(page, box.url, box.tokens.admin, '/console/drift/policies');
    await expectHeading(page, 'Drift policies');
    await page.getByTestId('policy-resource').fill('do:droplet:*');
    await page.getByTestId('policy-field').fill('tags:pool-*');
    await page.getByTestId('policy-owner').fill('platform-team');
    await page.getByTestId('policy-reason').fill('the autoscaler retags pool members');
    await page.getByTestId('policy-expires').fill(localInput(new Date(Date.now() + 30 * 86_400_000).toISOString()).slice(0, 16));
    await page.locator('[data-action="policy-add"]').click();
    await page.locator('[data-testid="policy-row"]').first().waitFor();
    await checkPage(page, 'drift-policies');

    await page.goto(`${box.url}/console/drift/closed?status=all`);
    await expectHeading(page, 'Closed drift');
    await page.locator('[data-testid="drift-row"]').first().waitFor();
    await checkPage(page, 'drift-closed');

    await page.goto(`${box.url}/console/iac`);
    await expectHeading(page, 'IaC states and locks');
    const lockRow = page.locator(`[data-testid="iac-lock-row"][data-resource-id="${resourceId}"]`);
    await lockRow.waitFor();
    await expectText(lockRow, /terraform[\s\S]*apply[\s\S]*bb-operator/);
    expect(await lockRow.locator('time').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-action="force-unlock"]').count()).toBeGreaterThan(0);
    await checkPage(page, 'iac');
  });

  it('retries a failed compensation from the saga page, with the keyboard, once its cause has passed, and sees the saga roll back live', async () => {
    // the first step's undo is held for a few seconds: the rollback the second step forces fails in that time
    const until = new Date(Date.now() + 6_000).toISOString();
    const started = await box.request('POST', '/api/v1/sagas', {
      token: box.tokens.operator,
      body: { kind: 'console-test', definition: 'script', inputs: { steps: [{ op: 'fragile_undo', until }, { op: 'fail' }] } },
    });
    expect(started.status).toBe(202);
    const sagaId = started.body.sagaId as string;
    const failed = await sagaReaches(box, sagaId, ['failed', 'rolled_back']);
    expect(failed.status).toBe('failed');

    const page = await person();
    await signIn(page, box.url, box.tokens.operator, `/console/sagas/${encodeURIComponent(sagaId)}`);
    await page.locator('[data-testid="saga-status"][data-status="failed"]').waitFor();
    await markDocument(page);
    const undo = page.locator('[data-testid="step"][data-step="1-fragile_undo"]');
    expect(await undo.getByTestId('compensation').evaluateAll((all) => all.map((c) => c.getAttribute('data-outcome')))).toEqual(['failed', 'failed']);
    await expectText(undo, 'held until');
    await checkPage(page, 'saga-failed');

    await waitFor(async () => (Date.now() > Date.parse(until) + 250 ? true : undefined), 'the undo to be released', 15_000, 100);
    await tabTo(page, page.locator('[data-action="retry-compensation"]'));
    await page.keyboard.press('Enter');
    await expectText(page.getByTestId('action-outcome'), 'Compensation retried.');
    await page.locator('[data-testid="saga-status"][data-status="rolled_back"]').waitFor({ timeout: 30_000 });
    expect(await sameDocument(page)).toBe(true);
    await undo.getByTestId('compensation').nth(2).waitFor();
    expect(await undo.getByTestId('compensation').evaluateAll((all) => all.map((c) => c.getAttribute('data-outcome')))).toEqual(['failed', 'failed', 'compensated']);
    expect(await page.locator('[data-action="retry-compensation"]').count()).toBe(0);
    expect((await sagaOf(box, sagaId)).status).toBe('rolled_back');
  });

  it('adopts a droplet made outside cloudledger from the inventory, as a platform admin, and sees it managed', async () => {
    const made = await box.sim('POST', '/_sim/droplets', { name: 'legacy-console-1', region: 'nyc3', size: 's-1vcpu-2gb', image: 'ubuntu-24-04-x64', tags: ['web'] });
    expect(made.status).toBe(201);
    const resourceId = `do:droplet:${made.body.droplet.id as number}`;
    await sync(box);

    const page = await person();
    await signIn(page, box.url, box.tokens.admin, '/console/inventory?managed=false');
    await expectHeading(page, 'Inventory');
    const row = page.locator(`[data-testid="resource-row"][data-resource-id="${resourceId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-managed')).toBe('false');
    await row.locator('[data-action="adopt"]').click();
    const dialog = page.locator('dialog[data-testid="dialog-adopt"]');
    await dialog.waitFor();
    await checkPage(page, undefined, 'dialog[data-testid="dialog-adopt"]');
    await dialog.getByTestId('dialog-confirm').click();

    const outcome = page.getByTestId('action-outcome');
    await outcome.getByRole('link').waitFor();
    const sagaId = (await outcome.getByRole('link').textContent())!.trim();
    const adopted = await sagaReaches(box, sagaId, ['completed', 'rolled_back', 'failed']);
    expect([adopted.definition, adopted.status]).toEqual(['adopt_droplet', 'completed']);

    await page.goto(`${box.url}/console/inventory/${encodeURIComponent(resourceId)}`);
    await expectHeading(page, `Resource ${resourceId}`);
    await waitFor(async () => {
      const resource = await box.request('GET', `/api/v1/resources/${encodeURIComponent(resourceId)}`, { token: box.tokens.viewer });
      return resource.body.managed === true ? true : undefined;
    }, 'the inventory to show the droplet managed');
    await page.reload();
    await expectText(page.getByTestId('state-managed'), 'yes');
    // its spec is what it was running: version 1, its live size
    await expectText(page.getByTestId('spec-version'), '1');
    expect(await page.getByTestId('spec-editor').inputValue()).toContain('"s-1vcpu-2gb"');
    // an operator is offered no adoption: it is a platform admin's action
    const operator = await person();
    await signIn(operator, box.url, box.tokens.operator, '/console/inventory?managed=false');
    await operator.locator('[data-testid="resource-row"]').first().or(operator.getByText('No resource matches.')).first().waitFor();
    expect(await operator.locator('[data-action="adopt"]').count()).toBe(0);
  });

  it('shows a viewer no action button on any page', async () => {
    const saga = (await box.request('GET', '/api/v1/sagas?limit=1', { token: box.tokens.viewer })).body.items[0];
    if (!drifted) throw new Error('the drift journey left no drifted droplet');
    const page = await person();
    await signIn(page, box.url, box.tokens.viewer);
    await expectText(page.getByTestId('whoami'), /bb-viewer · viewer/);
    // each page, its heading, and the first row of what it lists (the page has its data by then)
    const pages: [string, string, string][] = [
      ['/console/', 'Overview', '[data-testid="summary"]'],
      ['/console/sagas', 'Sagas', '[data-testid="saga-row"]'],
      [`/console/sagas/${encodeURIComponent(saga.id)}`, `Saga ${saga.id}`, '[data-testid="saga-timeline"][data-rendered="true"]'],
      ['/console/drift', 'Drift inbox', '[data-testid="drift-group"]'],
      ['/console/drift/closed?status=all', 'Closed drift', '[data-testid="drift-row"]'],
      ['/console/drift/policies', 'Drift policies', '[data-testid="policy-row"]'],
      ['/console/inventory', 'Inventory', '[data-testid="resource-row"]'],
      [`/console/inventory/${encodeURIComponent(drifted.resourceId)}`, `Resource ${drifted.resourceId}`, '[data-testid="history-event"]'],
      ['/console/iac', 'IaC states and locks', '[data-testid="iac-lock-row"]'],
    ];
    for (const [path, heading, loaded] of pages) {
      await page.goto(`${box.url}${path}`);
      await expectHeading(page, heading);
      await page.locator(loaded).first().waitFor({ timeout: 15_000 });
      // expanded, the inbox shows its drift rows too: none may carry an action
      for (const toggle of await page.getByTestId('group-expand').all()) await toggle.click();
      expect([path, await actionsOnPage(page)]).toEqual([path, []]);
      await checkPage(page);
    }
  });
});

async function expectHeading(page: Page, text: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text, exact: typeof text === 'string' }).waitFor({ timeout: 15_000 });
}

/** Waits until the element's text holds `text`: what a person reads once the page has it. */
async function expectText(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}
