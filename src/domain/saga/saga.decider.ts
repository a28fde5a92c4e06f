import { Conflict, NotFound } from '../errors.js';
import type { SagaEvent, SagaEventOf } from './saga.events.js';
import type { ResolvedStart } from './saga-definitions.js';
import { isTerminal, type SagaState } from './saga.state.js';

export class SagaNotFound extends NotFound {
  override readonly name = 'SagaNotFound';
  override readonly code = 'saga_not_found';
}

export class SagaAlreadyFinished extends Conflict {
  override readonly name = 'SagaAlreadyFinished';
  override readonly code = 'saga_already_finished';
}

export type SagaCommand =
  | { readonly type: 'StartSaga'; readonly data: { readonly sagaId: string; readonly start: ResolvedStart; readonly triggeredBy: string; readonly now: Date } }
  | { readonly type: 'CancelSaga'; readonly data: { readonly sagaId: string; readonly by: string; readonly now: Date } };

/** The commands people send; the workflow (`next`) decides everything else. */
export function decide(command: SagaCommand, state: SagaState): SagaEvent[] {
  switch (command.type) {
    case 'StartSaga': {
      if (state.status !== 'new') throw new Conflict(`saga ${command.data.sagaId} already exists`);
      const { start, sagaId, triggeredBy, now } = command.data;
      const started: SagaEventOf<'SagaStarted'> = {
        type: 'SagaStarted',
        data: {
          sagaId,
          kind: start.kind,
          definition: start.definition.name,
          version: start.definition.version,
          steps: start.steps.map((s) => s.name),
          inputs: start.inputs,
          deploymentId: start.deploymentId,
          triggeredBy,
          at: now.toISOString(),
        },
      };
      return [started];
    }
    case 'CancelSaga': {
      const { sagaId, by, now } = command.data;
      if (state.status === 'new') throw new SagaNotFound(`no saga ${sagaId}`);
      if (isTerminal(state)) throw new SagaAlreadyFinished(`saga ${sagaId} already finished (${state.status})`);
      if (state.status === 'compensating') throw new SagaAlreadyFinished(`saga ${sagaId} is already being rolled back`);
      // asking twice is the same request: nothing new to record
      if (state.cancelRequestedBy !== null) return [];
      return [{ type: 'SagaCancelRequested', data: { sagaId, by, at: now.toISOString() } }];
    }
    default: {
      const _: never = command;
      throw new Error(`unknown saga command ${JSON.stringify(_)}`);
    }
  }
}
