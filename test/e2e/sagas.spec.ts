import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';

describe('the saga API', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    app.expectLogsClean();
    await app.close();
  });

  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await app.request('GET', path, { token: app.tokens.viewer });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('starts a saga (202), runs it to completion, lists it and shows its timeline; cancelling it then is a 409', async () => {
    // given an operator starting a three-step saga
    const started = await app.request('POST', '/api/v1/sagas', {
      token: app.tokens.operator,
      body: { kind: 'demo', definition: 'noop', inputs: {}, deploymentId: 'dep-e2e' },
    });
    expect(started.status).toBe(202);
    const { sagaId } = (await started.json()) as { sagaId: string };

    // when the workers have run it
    const view = await waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return body.status === 'completed' ? body : undefined;
    }, 'the saga to complete');

    // then its timeline shows each step once, it is listed by status, kind and deployment, and the
    // actor is the token's name
    expect((view.steps as { name: string; status: string }[]).map((s) => [s.name, s.status])).toEqual([
      ['first', 'succeeded'],
      ['second', 'succeeded'],
      ['third', 'succeeded'],
    ]);
    expect(view.triggeredBy).toBe('e2e-operator');
    const listed = await waitFor(async () => {
      const { body } = await get('/api/v1/sagas?status=completed&kind=demo&deploymentId=dep-e2e&limit=5');
      return (body.items as unknown[]).length === 1 ? body : undefined;
    }, 'the list to show it');
    expect((listed.items as { id: string }[])[0]!.id).toBe(sagaId);
    const cancel = await app.request('POST', `/api/v1/sagas/${sagaId}/cancel`, { token: app.tokens.operator });
    expect(cancel.status).toBe(409);
  });

  it('cancels a sleeping saga (202) and it ends cancelled', async () => {
    const started = await app.request('POST', '/api/v1/sagas', {
      token: app.tokens.operator,
      body: { kind: 'demo', definition: 'script', inputs: { steps: [{ op: 'noop' }, { op: 'sleep', ms: 600000 }] } },
    });
    const { sagaId } = (await started.json()) as { sagaId: string };
    await waitFor(async () => ((await get(`/api/v1/sagas/${sagaId}`)).body.currentStep === '2-sleep' ? true : undefined), 'the sleep');
    const cancel = await app.request('POST', `/api/v1/sagas/${sagaId}/cancel`, { token: app.tokens.operator });
    expect(cancel.status).toBe(202);
    const done = await waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return body.status === 'cancelled' ? body : undefined;
    }, 'the saga to be cancelled');
    expect((done.steps as { compensated: boolean }[]).map((s) => s.compensated)).toEqual([true, true]);
  });

  it('shows every attempt of every step with its error, and refuses to retry a compensation that did not fail', async () => {
    const started = await app.request('POST', '/api/v1/sagas', {
      token: app.tokens.operator,
      body: { kind: 'demo', definition: 'script', inputs: { steps: [{ op: 'flaky', failures: 2 }] } },
    });
    const { sagaId } = (await started.json()) as { sagaId: string };
    const done = await waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return body.status === 'completed' ? body : undefined;
    }, 'the flaky saga to complete', 60_000);
    const history = (done.steps as { attemptHistory: { attempt: number; outcome: string; error: string | null; code: string | null }[] }[])[0]!.attemptHistory;
    expect(history.map((a) => [a.attempt, a.outcome, a.code])).toEqual([
      [1, 'retrying', 'flaky'],
      [2, 'retrying', 'flaky'],
      [3, 'succeeded', null],
    ]);
    expect(history[0]!.error).toBe('attempt 1 of 2 planned failures');

    const retry = await app.request('POST', `/api/v1/sagas/${sagaId}/retry-compensation`, { token: app.tokens.operator });
    expect(retry.status).toBe(409);
    expect(await retry.json()).toMatchObject({ error: 'nothing_to_retry' });
    expect((await app.request('POST', `/api/v1/sagas/${sagaId}/retry-compensation`, { token: app.tokens.viewer })).status).toBe(403);
  });

  it('answers 400 with field issues for an unknown definition or bad inputs, and 404 for an unknown saga', async () => {
    const unknown = await app.request('POST', '/api/v1/sagas', { token: app.tokens.operator, body: { kind: 'demo', definition: 'nope', inputs: {} } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ issues: [{ path: 'definition' }] });
    const bad = await app.request('POST', '/api/v1/sagas', { token: app.tokens.operator, body: { kind: 'demo', definition: 'script', inputs: { steps: [] } } });
    expect(bad.status).toBe(400);
    expect((await get('/api/v1/sagas/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await app.request('POST', '/api/v1/sagas/nope/cancel', { token: app.tokens.operator })).status).toBe(404);
    expect((await get('/api/v1/sagas?status=bogus')).status).toBe(400);
    expect((await get('/api/v1/sagas?cursor=bogus')).status).toBe(400);
  });
});
