import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type {
  LockAcquiredEvent,
  LockExpiredEvent,
  LockForceReleasedEvent,
  LockReleasedEvent,
  LockRenewedEvent,
} from '../../domain/iac/iac.events.js';
import type { Projection } from '../projection.js';
import { IacLockEntity, type IacLockRow } from './iac-lock.entity.js';

type Handled = LockAcquiredEvent | LockRenewedEvent | LockReleasedEvent | LockForceReleasedEvent | LockExpiredEvent;

/**
 * The lock on each record, for operators' lists. A lock that lapsed without anyone noticing stays
 * until the next command on its record writes LockExpired, so readers compare `expires_at` with now.
 */
export const iacLocksProjection: Projection<IacLockRow> = {
  name: 'iac-locks',
  entity: IacLockEntity,
  key: 'resourceId',
  eventTypes: ['LockAcquired', 'LockRenewed', 'LockReleased', 'LockForceReleased', 'LockExpired'] satisfies Handled['type'][],
  keyOf: (event) => (event as DomainEvent & Handled).data.resourceId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & Handled;
    switch (event.type) {
      case 'LockAcquired': {
        const { acquiredAt, expiresAt, whoId, ...lock } = event.data;
        return { ...lock, whoId: whoId ?? null, acquiredAt: new Date(acquiredAt), expiresAt: new Date(expiresAt) };
      }
      case 'LockRenewed':
        return row && { ...row, expiresAt: new Date(event.data.expiresAt), ttlSeconds: event.data.ttlSeconds };
      case 'LockReleased':
      case 'LockForceReleased':
      case 'LockExpired':
        return null;
      default: {
        const _: never = event;
        throw new Error(`iac-locks does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
