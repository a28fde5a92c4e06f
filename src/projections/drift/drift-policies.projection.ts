import { eventTypesOf } from '../../domain/decider.js';
import { driftPolicyDecider } from '../../domain/drift/drift-policy.decider.js';
import type { DriftPolicyEvent } from '../../domain/drift/drift-policy.events.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { Projection } from '../projection.js';
import { DriftPolicyEntity, type DriftPolicyRow } from './drift-policy.entity.js';

/** Every drift ignore policy: what detection reads, and what `GET /drift/policies` lists. */
export const driftPoliciesProjection: Projection<DriftPolicyRow> = {
  name: 'drift-policies',
  entity: DriftPolicyEntity,
  key: 'policyId',
  eventTypes: eventTypesOf(driftPolicyDecider),
  keyOf: (event) => (event as DomainEvent & DriftPolicyEvent).data.policyId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & DriftPolicyEvent;
    const at = new Date(event.data.at);
    const actor = domainEvent.metadata.actor;
    switch (event.type) {
      case 'DriftPolicyCreated': {
        if (row) return row;
        const { policyId, resource, field, owner, reason, expiresAt } = event.data;
        return { policyId, resource, field, owner, reason, expiresAt: new Date(expiresAt), createdAt: at, createdBy: actor, endedAt: null, endedBy: null };
      }
      case 'DriftPolicyEnded':
        return row && row.endedAt === null ? { ...row, endedAt: at, endedBy: actor } : row;
      default: {
        const _: never = event;
        throw new Error(`drift-policies does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
