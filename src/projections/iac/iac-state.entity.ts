import { EntitySchema } from '@mikro-orm/core';
import type { IacStateRecord } from '../../domain/iac/iac-state.js';

/** `iac_states`: the current record of every IaC resource, with the list filter's keys as columns. */
export interface IacStateRow {
  resourceId: string;
  resourceType: string;
  provider: string;
  status: string;
  /** The whole record as saved. */
  record: IacStateRecord;
  savedAt: Date;
  /** The actor of the last save. */
  savedBy: string;
}

export const IacStateEntity = new EntitySchema<IacStateRow>({
  name: 'IacState',
  tableName: 'iac_states',
  properties: {
    resourceId: { type: 'string', primary: true, fieldName: 'resource_id' },
    resourceType: { type: 'string', fieldName: 'resource_type' },
    provider: { type: 'string' },
    status: { type: 'string' },
    record: { type: 'json' },
    savedAt: { type: 'datetime', fieldName: 'saved_at' },
    savedBy: { type: 'string', fieldName: 'saved_by' },
  },
});
