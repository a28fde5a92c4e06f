import { EntitySchema } from '@mikro-orm/core';
import { z } from 'zod';
import type pg from 'pg';
import type { DomainEvent } from '../../src/domain/events/event-envelope.js';
import { defineEvent, EventRegistry } from '../../src/domain/events/event-registry.js';
import type { EventToAppend } from '../../src/domain/event-store/event-store.port.js';
import type { Projection } from '../../src/projections/projection.js';

/**
 * A small read model for exercising the projection runner: one balance per account, with a count
 * of the events folded into it, so an event applied twice or lost shows in the numbers.
 */
export const FundsDeposited = defineEvent({
  type: 'FundsDeposited',
  schemaVersion: 1,
  schema: z.object({ account: z.string().min(1), amount: z.number().int().positive() }),
});
export const FundsWithdrawn = defineEvent({
  type: 'FundsWithdrawn',
  schemaVersion: 1,
  schema: z.object({ account: z.string().min(1), amount: z.number().int().positive() }),
});
export const balanceEvents = new EventRegistry([FundsDeposited, FundsWithdrawn]);

export interface Balance {
  accountId: string;
  balance: number;
  eventCount: number;
  lastRevision: number;
}

export const BalanceEntity = new EntitySchema<Balance>({
  name: 'TestBalance',
  tableName: 'test_balances',
  properties: {
    accountId: { type: 'string', primary: true, fieldName: 'account_id' },
    balance: { type: 'integer' },
    eventCount: { type: 'integer', fieldName: 'event_count' },
    lastRevision: { type: 'integer', fieldName: 'last_revision' },
  },
});

export const CREATE_BALANCES_TABLE = `
  create table if not exists test_balances (
    account_id text primary key,
    balance integer not null,
    event_count integer not null,
    last_revision integer not null
  )`;

export async function createBalancesTable(pool: pg.Pool): Promise<void> {
  await pool.query(CREATE_BALANCES_TABLE);
}

type AccountEvent = DomainEvent<'FundsDeposited' | 'FundsWithdrawn', { account: string; amount: number }>;

export const balancesProjection: Projection<Balance> = {
  name: 'test-balances',
  entity: BalanceEntity,
  key: 'accountId',
  eventTypes: ['FundsDeposited', 'FundsWithdrawn'],
  keyOf: (event) => (event as AccountEvent).data.account,
  evolve(row, event) {
    const { data, type } = event as AccountEvent;
    const current = row ?? { accountId: data.account, balance: 0, eventCount: 0, lastRevision: -1 };
    const delta = type === 'FundsDeposited' ? data.amount : -data.amount;
    return { ...current, balance: current.balance + delta, eventCount: current.eventCount + 1, lastRevision: Number(event.revision) };
  },
};

export const accountStream = (account: string): string => `account-${account}`;

export function deposit(account: string, amount: number, id: string): EventToAppend {
  return balanceEvents.encode('FundsDeposited', id, { account, amount }, { correlationId: 'test', causationId: null, actor: 'test' });
}

/** The read model as a fresh in-memory fold over the given events. */
export function foldBalances(events: readonly DomainEvent[]): Map<string, Balance> {
  const rows = new Map<string, Balance>();
  for (const event of events) {
    const key = balancesProjection.keyOf(event);
    rows.set(key, balancesProjection.evolve(rows.get(key) ?? null, event)!);
  }
  return rows;
}
