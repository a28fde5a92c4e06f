import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { StateDeletedEvent, StateSavedEvent } from '../../domain/iac/iac.events.js';
import type { Projection } from '../projection.js';
import { IacStateEntity, type IacStateRow } from './iac-state.entity.js';

type Handled = StateSavedEvent | StateDeletedEvent;

/** The records the list query serves: a save replaces the row, a delete removes it. */
export const iacStatesProjection: Projection<IacStateRow> = {
  name: 'iac-states',
  entity: IacStateEntity,
  key: 'resourceId',
  eventTypes: ['StateSaved', 'StateDeleted'] satisfies Handled['type'][],
  keyOf: (event) => (event as DomainEvent & Handled).data.resourceId,
  evolve(_row, domainEvent) {
    const event = domainEvent as DomainEvent & Handled;
    switch (event.type) {
      case 'StateSaved': {
        const { record, savedAt } = event.data;
        return {
          resourceId: record.resource_id,
          resourceType: record.resource_type,
          provider: record.provider,
          status: record.status,
          record,
          savedAt: new Date(savedAt),
          savedBy: domainEvent.metadata.actor,
        };
      }
      case 'StateDeleted':
        return null;
      default: {
        const _: never = event;
        throw new Error(`iac-states does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
