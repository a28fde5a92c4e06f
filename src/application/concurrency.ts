/** Work on different streams at once, a few at a time: enough to hide round trips, not to flood the pool. */
const APPEND_CONCURRENCY = 8;

/**
 * Runs `work` over the items, `concurrency` at a time. On the first failure no new item starts,
 * and it rejects only once every item under way has ended: a caller that then lets go of a lease
 * has nothing of this call still running.
 */
export async function forEachConcurrently<T>(items: readonly T[], work: (item: T) => Promise<void>, concurrency = APPEND_CONCURRENCY): Promise<void> {
  let next = 0;
  let failed = false;
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      try {
        while (next < items.length && !failed) await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
}
