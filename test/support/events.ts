import { randomUUID } from 'node:crypto';
import type { EventToAppend, RecordedEvent } from '../../src/domain/event-store/event-store.port.js';

export function testEvent(type = 'TestHappened', data: unknown = {}, id = randomUUID()): EventToAppend {
  return { id, type, data, metadata: { correlationId: 'test', causationId: null, actor: 'test', schemaVersion: 1 } };
}

export async function collect<T>(source: AsyncIterable<T>, limit = Number.POSITIVE_INFINITY): Promise<T[]> {
  const items: T[] = [];
  if (limit <= 0) return items;
  for await (const item of source) {
    items.push(item);
    if (items.length >= limit) break;
  }
  return items;
}

/** Takes `count` events from a live iterable, failing after `timeoutMs` instead of hanging. */
export async function take(source: AsyncIterable<RecordedEvent>, count: number, timeoutMs = 20_000): Promise<RecordedEvent[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} events`)), timeoutMs);
  });
  try {
    return await Promise.race([collect(source, count), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function uniqueStream(category = 'test'): string {
  return `${category}-${randomUUID()}`;
}
