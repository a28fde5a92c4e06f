import type { z } from 'zod';
// the memory the droplet steps read is the contract the upcaster meets: their schemas are read
// from the steps themselves (built with no cloud or store: nothing runs)
import {
  createDropletSnapshotStep,
  createDropletStep,
  DEFAULT_DROPLET_TIMING,
  type DropletStepDeps,
  resizeDropletStep,
  waitDropletActiveStep,
} from '../../application/provisioning/steps/droplet.steps.js';
import type { CloudProvider } from '../cloud/cloud.port.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.port.js';
import { eventCatalogue } from '../events/event-catalogue.js';

const deps: DropletStepDeps = { cloud: {} as CloudProvider, store: {} as EventStore, timing: DEFAULT_DROPLET_TIMING };
const memorySchemas: Readonly<Record<string, z.ZodType | undefined>> = {
  create_droplet: createDropletStep(deps).memory,
  wait_droplet_active: waitDropletActiveStep(deps).memory,
  create_droplet_snapshot: createDropletSnapshotStep(deps).memory,
  resize_droplet: resizeDropletStep(deps).memory,
};

const SINCE = '2026-11-22T10:15:00.000Z';
const TAG = 'cloudledger-saga-0b5e3c1d';
const SNAPSHOT = 'cloudledger-snap-572017320-0b5e3c1d';

/** An event as a version-1 build stored it. */
function recordedV1(type: 'StepWaiting' | 'StepFailed', data: Record<string, unknown>): RecordedEvent {
  return {
    stream: 'saga-0b5e3c1d-7f2a-4c9e-8d11-2f6a9e0b7c34',
    revision: 4n,
    position: { commit: 40n, prepare: 40n },
    id: 'e0000000-0000-4000-8000-000000000004',
    type,
    data: { sagaId: '0b5e3c1d-7f2a-4c9e-8d11-2f6a9e0b7c34', step: 0, name: 'create_droplet', attempt: 1, at: SINCE, ...data },
    metadata: { correlationId: 'req-1', causationId: null, actor: 'system:saga', schemaVersion: 1 },
    recordedAt: new Date(SINCE),
  };
}

const waitingV1 = (name: string, note: string): RecordedEvent => recordedV1('StepWaiting', { name, note, dueAt: '2026-11-22T10:15:05.000Z' });

describe('the StepWaiting v1 → v2 upcaster: legacy step notes as memory', () => {
  it.each([
    ['create_droplet', `looking for a droplet tagged ${TAG} since ${SINCE} (creates: 0)`, { phase: 'searching', since: SINCE, creates: 0 }],
    ['create_droplet', `looking for a droplet tagged ${TAG} since ${SINCE} (creates: 2)`, { phase: 'searching', since: SINCE, creates: 2 }],
    ['wait_droplet_active', 'poll 1: droplet 572017320 is new', { polls: 1 }],
    ['wait_droplet_active', 'poll 37: droplet 572017320 is active', { polls: 37 }],
    ['create_droplet_snapshot', `looking for snapshot ${SNAPSHOT} (try 3)`, { phase: 'finding', tries: 3 }],
    ['create_droplet_snapshot', `looking for snapshot ${SNAPSHOT} made earlier, since ${SINCE}`, { phase: 'searching', since: SINCE }],
    ['create_droplet_snapshot', `snapshot ${SNAPSHOT}: action 2101 (poll 0)`, { phase: 'action', actionId: 2101, polls: 0 }],
    ['create_droplet_snapshot', `snapshot ${SNAPSHOT}: action 2101 (poll 5)`, { phase: 'action', actionId: 2101, polls: 5 }],
    ['create_droplet_snapshot', 'droplet 572017320 is busy with another action (poll 2)', { phase: 'busy', polls: 2 }],
    ['resize_droplet', 'resize 572017320 to s-2vcpu-4gb: action 2102 (poll 4)', { phase: 'action', actionId: 2102, polls: 4 }],
    ['resize_droplet', 'power_off 572017320: action 2103 (poll 0)', { phase: 'action', actionId: 2103, polls: 0 }],
    ['resize_droplet', 'power_on 572017320: action 2104 (poll 1)', { phase: 'action', actionId: 2104, polls: 1 }],
    ['resize_droplet', 'droplet 572017320 is busy with another action (poll 3)', { phase: 'busy', polls: 3 }],
  ])('%s: "%s" becomes the memory the step reads', (name, note, memory) => {
    // given a StepWaiting stored by version 1, the step's memory only in its note
    const stored = waitingV1(name, note);

    // when it is read back
    const event = eventCatalogue.decode(stored);

    // then it is version 2, the note kept, the memory taken from it
    expect(event.metadata.schemaVersion).toBe(2);
    expect(event.data).toEqual({ ...(stored.data as object), memory });
    // and the step accepts it as its own memory, unchanged
    const schema = memorySchemas[name];
    expect(schema?.safeParse(memory)).toEqual({ success: true, data: memory });
  });

  it.each([
    ['create_droplet', 'creating droplet web-1'],
    ['wait_droplet_active', 'droplet 572017320 is new'],
    ['create_droplet_snapshot', `taking snapshot ${SNAPSHOT}`],
    ['resize_droplet', 'power_off 572017320: the request may or may not have taken effect'],
    ['resize_droplet', `looking for snapshot ${SNAPSHOT} (try 3)`],
    ['2-sleep', 'sleeping 500 ms'],
    ['2-sleep', 'poll 3: droplet 572017320 is new'],
    ['retag_droplet', 'droplet 572017320 is busy with another action (poll 2)'],
  ])('%s: "%s" holds no memory: null', (name, note) => {
    // given a StepWaiting v1 whose note held nothing to remember, or of a step that kept nothing in its notes
    // when it is read back
    const event = eventCatalogue.decode(waitingV1(name, note));
    // then its memory is null
    expect(event.metadata.schemaVersion).toBe(2);
    expect(event.data).toMatchObject({ name, note, memory: null });
  });

  it('reads a StepFailed v1 as version 2 with memory null', () => {
    // given a StepFailed stored by version 1, before failures kept memory
    const stored = recordedV1('StepFailed', { error: 'create droplet: 422 invalid size', code: 'unprocessable_entity', willRetry: false, dueAt: null });

    // when it is read back
    const event = eventCatalogue.decode(stored);

    // then it is version 2, as it was, with no memory
    expect(event.metadata.schemaVersion).toBe(2);
    expect(event.data).toEqual({ ...(stored.data as object), memory: null });
  });
});
