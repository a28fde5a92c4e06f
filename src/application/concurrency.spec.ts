import { forEachConcurrently } from './concurrency.js';

describe('forEachConcurrently', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it('runs every item, a few at a time', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], async (n) => {
      most = Math.max(most, ++running);
      await tick();
      running--;
      done.push(n);
    }, 3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('starts nothing new after a failure, and rejects only once the items under way have ended', async () => {
    // given items 1 and 2 under way, and 1 failing first
    const ended: number[] = [];
    const started: number[] = [];
    const run = forEachConcurrently([1, 2, 3, 4, 5], async (n) => {
      started.push(n);
      if (n === 1) throw new Error('item 1 failed');
      await tick();
      await tick();
      ended.push(n);
    }, 2);

    // when it rejects / then with the first failure, after item 2 ended, and 3 to 5 never started
    await expect(run).rejects.toThrow('item 1 failed');
    expect(ended).toEqual([2]);
    expect(started).toEqual([1, 2]);
  });
});
