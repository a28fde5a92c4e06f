import type { BlackBox } from '../../support/black-box.js';
import { waitFor } from '../../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** What the journeys do through the API or the simulator, around what they do in the browser. */

export async function provision(box: BlackBox, name: string, size = 's-1vcpu-1gb'): Promise<string> {
  const started = await box.request('POST', '/api/v1/droplets', { token: box.tokens.operator, body: { name, region: 'nyc3', size, image: 'ubuntu-24-04-x64' } });
  if (started.status !== 202) throw new Error(`provision ${name} answered ${started.status}: ${JSON.stringify(started.body)}`);
  return started.body.sagaId as string;
}

export async function sagaOf(box: BlackBox, sagaId: string): Promise<Json> {
  const answer = await box.request('GET', `/api/v1/sagas/${encodeURIComponent(sagaId)}`, { token: box.tokens.viewer });
  if (answer.status !== 200) throw new Error(`GET saga ${sagaId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export function sagaReaches(box: BlackBox, sagaId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<Json> {
  return waitFor(async () => {
    const saga = await sagaOf(box, sagaId);
    return statuses.includes(saga.status) ? saga : undefined;
  }, `saga ${sagaId} to be ${statuses.join(' or ')}`, timeoutMs, 200);
}

/** Provisions and waits for the saga to complete: the droplet's id and resource id. */
export async function provisioned(box: BlackBox, name: string): Promise<{ dropletId: number; resourceId: string; sagaId: string }> {
  const sagaId = await provision(box, name);
  const saga = await sagaReaches(box, sagaId, ['completed', 'rolled_back', 'failed', 'cancelled']);
  if (saga.status !== 'completed') throw new Error(`provisioning ${name} ended ${saga.status}: ${JSON.stringify(saga)}`);
  const dropletId = saga.steps[0].output.dropletId as number;
  return { dropletId, resourceId: `do:droplet:${dropletId}`, sagaId };
}

export async function resizeBehindItsBack(box: BlackBox, dropletId: number, size: string): Promise<void> {
  const answer = await box.sim('POST', `/_sim/droplets/${dropletId}/resize`, { size });
  if (answer.status !== 200) throw new Error(`the simulator's resize answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

/** `POST /api/v1/inventory/sync` as an operator: what it found. */
export async function sync(box: BlackBox): Promise<Json> {
  const answer = await box.request('POST', '/api/v1/inventory/sync', { token: box.tokens.operator });
  if (answer.status !== 201) throw new Error(`sync answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function openDriftOf(box: BlackBox, resourceId: string): Promise<Json[]> {
  const answer = await box.request('GET', `/api/v1/drift?status=open&resourceId=${encodeURIComponent(resourceId)}`, { token: box.tokens.viewer });
  if (answer.status !== 200) throw new Error(`GET drift answered ${answer.status}`);
  return answer.body.items;
}

export async function driftById(box: BlackBox, driftId: string): Promise<Json> {
  return (await box.request('GET', `/api/v1/drift/${driftId}`, { token: box.tokens.viewer })).body;
}

/** The open group whose cause is (field, actual): waits for the read model to show it with `count` drifts. */
export function groupOf(box: BlackBox, field: string, actual: unknown, count: number): Promise<Json> {
  return waitFor(async () => {
    const answer = await box.request('GET', '/api/v1/drift/groups?limit=100', { token: box.tokens.viewer });
    const group = (answer.body.items as Json[]).find((g) => g.field === field && JSON.stringify(g.actual) === JSON.stringify(actual));
    return group?.count === count ? group : undefined;
  }, `a drift group ${field} → ${JSON.stringify(actual)} of ${count}`, 30_000, 200);
}

/** One droplet's open drift, once the read model has it. */
export function openDrift(box: BlackBox, resourceId: string, field: string): Promise<Json> {
  return waitFor(async () => (await openDriftOf(box, resourceId)).find((d) => d.field === field), `open ${field} drift on ${resourceId}`, 30_000, 200);
}
