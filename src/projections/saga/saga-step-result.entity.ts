import { EntitySchema } from '@mikro-orm/core';

/** `saga_step_results`: each step of each saga that started, keyed `<sagaId>/<step index>`. */
export interface SagaStepResultRow {
  id: string;
  sagaId: string;
  stepIndex: number;
  name: string;
  status: string;
  attempts: number;
  output: unknown;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  compensated: boolean;
  compensatedAt: Date | null;
}

export const SagaStepResultEntity = new EntitySchema<SagaStepResultRow>({
  name: 'SagaStepResult',
  tableName: 'saga_step_results',
  properties: {
    id: { type: 'string', primary: true },
    sagaId: { type: 'string', fieldName: 'saga_id' },
    stepIndex: { type: 'integer', fieldName: 'step_index' },
    name: { type: 'string' },
    status: { type: 'string' },
    attempts: { type: 'integer' },
    output: { type: 'json', nullable: true },
    error: { type: 'text', nullable: true },
    startedAt: { type: 'datetime', nullable: true, fieldName: 'started_at' },
    finishedAt: { type: 'datetime', nullable: true, fieldName: 'finished_at' },
    compensated: { type: 'boolean' },
    compensatedAt: { type: 'datetime', nullable: true, fieldName: 'compensated_at' },
  },
});
