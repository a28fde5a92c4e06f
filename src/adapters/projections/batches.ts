const NOT_YET = Symbol('not yet');

/**
 * Groups an async sequence into arrays of at most `maxSize`, taking what is ready now: a batch
 * closes as soon as the next item would have to be waited for. Catch-up therefore runs in full
 * batches and live traffic is applied one small batch at a time without added delay.
 */
export async function* batches<T>(source: AsyncIterable<T>, maxSize: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  for (;;) {
    const first = await (pending ?? iterator.next());
    pending = undefined;
    if (first.done) return;
    const batch = [first.value];
    while (batch.length < maxSize) {
      pending = iterator.next();
      const next = await Promise.race([pending, new Promise<typeof NOT_YET>((r) => setImmediate(() => r(NOT_YET)))]);
      if (next === NOT_YET) break;
      pending = undefined;
      if (next.done) {
        yield batch;
        return;
      }
      batch.push(next.value);
    }
    yield batch;
  }
}
