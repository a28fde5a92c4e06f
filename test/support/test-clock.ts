/**
 * A clock that runs with real time but can be moved forward, so a test can step past a lock's
 * expiry without waiting for it.
 */
export class TestClock {
  private offsetMs = 0;

  readonly now = (): Date => new Date(Date.now() + this.offsetMs);

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}
