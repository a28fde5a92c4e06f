import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { createTestDatabase } from '../support/database.js';
import { describeEventStoreContract } from './event-store.contract.js';

describeEventStoreContract('postgres', async () => {
  const db = await createTestDatabase('cl_contract', [], 60);
  const store = new PostgresEventStore(db.pool, db.url, { batchSize: 2 });
  return {
    store,
    async teardown() {
      await store.close();
      await db.drop();
    },
  };
});
