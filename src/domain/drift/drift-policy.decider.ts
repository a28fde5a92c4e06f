import type { Decider } from '../decider.js';
import { Conflict, InvalidInput, NotFound } from '../errors.js';
import { canonicalJson } from './drift-compare.js';
import { type DriftPolicy, type DriftPolicyRequest, policyExpiryProblem } from './drift-policy.js';
import { type DriftPolicyEvent, driftPolicyEvents } from './drift-policy.events.js';

/** One ignore policy as a decider: created once, ended at most once. Time comes in with the command. */

export type DriftPolicyState =
  | { readonly status: 'none' }
  | { readonly status: 'live' | 'ended'; readonly policy: DriftPolicy };

export type DriftPolicyCommand =
  | { readonly type: 'CreateDriftPolicy'; readonly data: { readonly policyId: string; readonly request: DriftPolicyRequest } }
  | { readonly type: 'EndDriftPolicy'; readonly data: { readonly policyId: string } };

export class DriftPolicyNotFound extends NotFound {
  override readonly name = 'DriftPolicyNotFound';
  override readonly code = 'drift_policy_not_found';
}

function decide(command: DriftPolicyCommand, state: DriftPolicyState, now: Date): DriftPolicyEvent[] {
  const at = now.toISOString();
  switch (command.type) {
    case 'CreateDriftPolicy': {
      const { policyId, request } = command.data;
      if (state.status !== 'none') {
        // the same request again (a retry) is already true; another under the same id is a mistake
        const { policyId: _, ...recorded } = state.policy;
        if (canonicalJson(recorded) === canonicalJson(request)) return [];
        throw new Conflict(`drift policy ${policyId} exists with other content`);
      }
      const problem = policyExpiryProblem(request.expiresAt, now);
      if (problem) throw new InvalidInput([{ path: 'expiresAt', message: problem }]);
      return [{ type: 'DriftPolicyCreated', data: { ...request, policyId, at } }];
    }
    case 'EndDriftPolicy': {
      const { policyId } = command.data;
      if (state.status === 'none') throw new DriftPolicyNotFound(`no drift policy ${policyId}`);
      if (state.status === 'ended') return [];
      return [{ type: 'DriftPolicyEnded', data: { policyId, at } }];
    }
    default: {
      const _: never = command;
      return _;
    }
  }
}

function evolve(state: DriftPolicyState, event: DriftPolicyEvent): DriftPolicyState {
  switch (event.type) {
    case 'DriftPolicyCreated': {
      const { at: _, ...policy } = event.data;
      return { status: 'live', policy };
    }
    case 'DriftPolicyEnded':
      return state.status === 'none' ? state : { status: 'ended', policy: state.policy };
    default: {
      const _: never = event;
      return _;
    }
  }
}

export const driftPolicyDecider: Decider<DriftPolicyState, DriftPolicyCommand, DriftPolicyEvent> = {
  events: driftPolicyEvents,
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
