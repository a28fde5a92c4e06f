import type { z } from 'zod';
import type { Decider, EventOf } from '../decider.js';
import { Conflict, InvalidInput, NotAllowed, NotFound, PreconditionFailed } from '../errors.js';
import type { EventDataOf } from '../events/event-registry.js';
import { fieldValue, type ResourceField, type ResourceState } from '../inventory/resource.js';
import { canonicalJson, compareSpec, type Spec } from './drift-compare.js';
import { coveringPolicy, type DriftPolicy, isPolicyLive } from './drift-policy.js';
import { specEvents, type specReason, type SpecRemoved } from './spec.events.js';

/**
 * One spec stream as a decider: the desired state of a resource, its version, and its unresolved
 * drift (at most one per field), open or ignored under a policy. Time and new drift ids come in
 * as arguments.
 */

export type SpecEvent = EventOf<typeof specEvents>;

export interface OpenDrift {
  readonly driftId: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
  /** The saga reverting it, while one runs. */
  readonly revertSagaId: string | null;
  /** The policy it is ignored under, and until when; null while it is open (in the inbox). */
  readonly ignoredBy?: { readonly policyId: string; readonly until: string } | null;
}

export type SpecState =
  | { readonly status: 'none' }
  | { readonly status: 'removed'; readonly version: number; readonly closed: readonly string[] }
  | { readonly status: 'recorded'; readonly spec: Spec; readonly version: number; readonly open: readonly OpenDrift[]; readonly closed: readonly string[] };

export const initialSpecState = (): SpecState => ({ status: 'none' });

/** The fields a saga can change back; the others can only be accepted. */
const REVERTIBLE_FIELDS: readonly ResourceField[] = ['size_slug', 'tags'];

export class SpecNotFound extends NotFound {
  override readonly name = 'SpecNotFound';
  override readonly code = 'spec_not_found';
}
export class DriftNotFound extends NotFound {
  override readonly name = 'DriftNotFound';
  override readonly code = 'drift_not_found';
}
export class DriftNotOpen extends Conflict {
  override readonly name = 'DriftNotOpen';
  override readonly code = 'drift_not_open';
}
export class DriftNotRevertible extends NotAllowed {
  override readonly name = 'DriftNotRevertible';
  override readonly code = 'drift_not_revertible';
}

export type SpecCommand =
  | {
      readonly type: 'RecordSpec';
      readonly data: {
        resourceId: string;
        spec: Spec;
        reason: z.infer<typeof specReason>;
        sagaId: string | null;
        /** The version the caller read (`If-Match`); 0 for "no spec yet". Absent: whatever is there. */
        expectedVersion?: number;
      };
    }
  | { readonly type: 'RemoveSpec'; readonly data: { resourceId: string; reason: EventDataOf<typeof SpecRemoved>['reason']; sagaId: string | null } }
  /**
   * `live` is the inventory's state of the resource, null when it has none (nothing to compare);
   * a live status `deleted` closes every drift. `policies` are the ignore policies known, live or not.
   */
  | {
      readonly type: 'DetectDrift';
      readonly data: {
        resourceId: string;
        live: Pick<ResourceState, ResourceField | 'attrs'> | null;
        policies: readonly DriftPolicy[];
        newDriftId: (field: string) => string;
      };
    }
  | { readonly type: 'AcceptDrift'; readonly data: { resourceId: string; driftId: string } }
  /**
   * Put one open drift out of the inbox under a policy made for it (a group's `ignore`): the policy
   * covers its resource and field exactly, so the detections after keep it ignored until its end.
   */
  | { readonly type: 'IgnoreDrift'; readonly data: { resourceId: string; driftId: string; policy: Pick<DriftPolicy, 'policyId' | 'expiresAt'> } }
  | { readonly type: 'RequestRevert'; readonly data: { resourceId: string; driftId: string; sagaId: string } }
  | { readonly type: 'CompleteRevert'; readonly data: { resourceId: string; driftId: string; sagaId: string } }
  | { readonly type: 'FailRevert'; readonly data: { resourceId: string; driftId: string; sagaId: string; reason: string } };

/** The open drift `driftId` with the spec it departs from; the typed refusal when there is none. */
export function openDrift(state: SpecState, resourceId: string, driftId: string): { spec: Spec; version: number; drift: OpenDrift } {
  if (state.status !== 'recorded') {
    if (state.status === 'removed' && state.closed.includes(driftId)) throw new DriftNotOpen(`drift ${driftId} is no longer open`);
    throw new SpecNotFound(`no spec is recorded for ${resourceId}`);
  }
  const drift = state.open.find((d) => d.driftId === driftId);
  if (drift) return { spec: state.spec, version: state.version, drift };
  if (state.closed.includes(driftId)) throw new DriftNotOpen(`drift ${driftId} is no longer open`);
  throw new DriftNotFound(`no drift ${driftId} on ${resourceId}`);
}

function decide(command: SpecCommand, state: SpecState, now: Date): SpecEvent[] {
  const at = now.toISOString();
  switch (command.type) {
    case 'RecordSpec': {
      const { resourceId, spec, reason, sagaId, expectedVersion } = command.data;
      const current = state.status === 'recorded' ? state.version : 0;
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw new PreconditionFailed(`the spec of ${resourceId} is at version ${current}, not ${expectedVersion}: read it again`);
      }
      // by canonical JSON: a spec loaded back from jsonb has its keys in another order
      if (state.status === 'recorded' && canonicalJson(state.spec) === canonicalJson(spec)) return [];
      const version = state.status === 'none' ? 1 : state.version + 1;
      return [{ type: 'SpecRecorded', data: { resourceId, spec: { ...spec }, version, reason, sagaId, driftId: null, at } }];
    }
    case 'RemoveSpec': {
      const { resourceId, reason, sagaId } = command.data;
      if (state.status !== 'recorded') return [];
      // open drift goes with the resource: nothing is left to compare or resolve
      const closing = state.open.map(
        (d): SpecEvent => ({ type: 'DriftClosedStale', data: { resourceId, driftId: d.driftId, field: d.field, actual: null, reason: 'resource_gone', at } }),
      );
      return [...closing, { type: 'SpecRemoved', data: { resourceId, reason, sagaId, at } }];
    }
    case 'DetectDrift': {
      const { resourceId, live, policies, newDriftId } = command.data;
      if (state.status !== 'recorded' || live === null) return [];
      const closeStale = (drift: OpenDrift, reason: 'matches_again' | 'resource_deleted'): SpecEvent => ({
        type: 'DriftClosedStale',
        data: { resourceId, driftId: drift.driftId, field: drift.field, actual: fieldValue(live, drift.field) ?? null, reason, at },
      });
      if (live.status === 'deleted') return state.open.map((drift) => closeStale(drift, 'resource_deleted'));
      const mismatches = compareSpec(state.spec, live);
      const target = { resourceId, name: live.name };
      const events: SpecEvent[] = [];
      for (const m of mismatches) {
        const policy = coveringPolicy(policies, target, m, now);
        const ignore = (driftId: string): SpecEvent => ({ type: 'DriftIgnored', data: { resourceId, driftId, field: m.field, policyId: policy!.policyId, until: policy!.expiresAt, at } });
        const drift = state.open.find((d) => d.field === m.field);
        if (!drift) {
          const driftId = newDriftId(m.field);
          events.push({ type: 'DriftDetected', data: { resourceId, driftId, field: m.field, expected: m.expected, actual: m.actual, specVersion: state.version, at } });
          if (policy) events.push(ignore(driftId));
        } else if (drift.ignoredBy && !policy) {
          const reason = Date.parse(drift.ignoredBy.until) <= now.getTime() ? 'policy_expired' : 'policy_ended';
          events.push({ type: 'DriftReopened', data: { resourceId, driftId: drift.driftId, field: drift.field, policyId: drift.ignoredBy.policyId, reason, at } });
        } else if (!drift.ignoredBy && policy && drift.revertSagaId === null) {
          events.push(ignore(drift.driftId));
        }
      }
      for (const drift of state.open) {
        // a revert under way closes the drift itself when its saga ends
        if (drift.revertSagaId !== null || mismatches.some((m) => m.field === drift.field)) continue;
        events.push(closeStale(drift, 'matches_again'));
      }
      return events;
    }
    case 'AcceptDrift': {
      const { resourceId, driftId } = command.data;
      const { spec, version, drift } = openDrift(state, resourceId, driftId);
      if (drift.revertSagaId !== null) throw new DriftNotOpen(`drift ${driftId} is being reverted by saga ${drift.revertSagaId}`);
      const next = version + 1;
      return [
        { type: 'SpecRecorded', data: { resourceId, spec: { ...spec, [drift.field]: drift.actual }, version: next, reason: 'drift_accepted', sagaId: null, driftId, at } },
        { type: 'DriftAccepted', data: { resourceId, driftId, field: drift.field, value: drift.actual, specVersion: next, at } },
      ];
    }
    case 'IgnoreDrift': {
      const { resourceId, driftId, policy } = command.data;
      const { drift } = openDrift(state, resourceId, driftId);
      if (drift.ignoredBy?.policyId === policy.policyId) return [];
      if (drift.revertSagaId !== null) throw new DriftNotOpen(`drift ${driftId} is being reverted by saga ${drift.revertSagaId}`);
      if (!isPolicyLive(policy, now)) throw new InvalidInput([{ path: 'expiresAt', message: 'must be in the future' }]);
      return [{ type: 'DriftIgnored', data: { resourceId, driftId, field: drift.field, policyId: policy.policyId, until: policy.expiresAt, at } }];
    }
    case 'RequestRevert': {
      const { resourceId, driftId, sagaId } = command.data;
      const { drift } = openDrift(state, resourceId, driftId);
      if (drift.revertSagaId === sagaId) return [];
      if (!(REVERTIBLE_FIELDS as readonly string[]).includes(drift.field)) {
        throw new DriftNotRevertible(
          `${drift.field} cannot be changed back on a running droplet (only ${REVERTIBLE_FIELDS.join(' and ')} can); accept the drift or replace the droplet`,
        );
      }
      if (drift.revertSagaId !== null) throw new DriftNotOpen(`drift ${driftId} is already being reverted by saga ${drift.revertSagaId}`);
      return [{ type: 'DriftRevertRequested', data: { resourceId, driftId, field: drift.field, sagaId, at } }];
    }
    case 'CompleteRevert':
    case 'FailRevert': {
      const { resourceId, driftId, sagaId } = command.data;
      if (state.status !== 'recorded') return [];
      const drift = state.open.find((d) => d.driftId === driftId);
      // already closed, or reverted by another saga: nothing to record (the saga may repeat this)
      if (!drift || drift.revertSagaId !== sagaId) return [];
      return command.type === 'CompleteRevert'
        ? [{ type: 'DriftReverted', data: { resourceId, driftId, field: drift.field, sagaId, at } }]
        : [{ type: 'DriftRevertFailed', data: { resourceId, driftId, field: drift.field, sagaId, reason: command.data.reason, at } }];
    }
    default: {
      const _: never = command;
      return _;
    }
  }
}

const close = (state: Extract<SpecState, { status: 'recorded' }>, driftId: string): SpecState => ({
  ...state,
  open: state.open.filter((d) => d.driftId !== driftId),
  closed: [...state.closed, driftId],
});

function evolve(state: SpecState, event: SpecEvent): SpecState {
  if (event.type === 'SpecRecorded') {
    const open = state.status === 'recorded' ? state.open : [];
    const closed = state.status === 'none' ? [] : state.closed;
    return { status: 'recorded', spec: event.data.spec, version: event.data.version, open, closed };
  }
  if (state.status !== 'recorded') return state;
  switch (event.type) {
    case 'DriftDetected': {
      const { driftId, field, expected, actual } = event.data;
      return { ...state, open: [...state.open, { driftId, field, expected, actual, revertSagaId: null, ignoredBy: null }] };
    }
    case 'DriftIgnored': {
      const { driftId, policyId, until } = event.data;
      return { ...state, open: state.open.map((d) => (d.driftId === driftId ? { ...d, ignoredBy: { policyId, until } } : d)) };
    }
    case 'DriftReopened':
      return { ...state, open: state.open.map((d) => (d.driftId === event.data.driftId ? { ...d, ignoredBy: null } : d)) };
    case 'DriftRevertRequested':
      return { ...state, open: state.open.map((d) => (d.driftId === event.data.driftId ? { ...d, revertSagaId: event.data.sagaId } : d)) };
    case 'DriftRevertFailed':
      return { ...state, open: state.open.map((d) => (d.driftId === event.data.driftId ? { ...d, revertSagaId: null } : d)) };
    case 'DriftAccepted':
    case 'DriftReverted':
    case 'DriftClosedStale':
      return close(state, event.data.driftId);
    case 'SpecRemoved':
      return { status: 'removed', version: state.version, closed: [...state.closed, ...state.open.map((d) => d.driftId)] };
    default: {
      const _: never = event;
      return _;
    }
  }
}

export const specDecider: Decider<SpecState, SpecCommand, SpecEvent> = { events: specEvents, initialState: initialSpecState, decide, evolve };
