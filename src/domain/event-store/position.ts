/**
 * A place in the global log. Totally ordered by (commit, prepare).
 * PostgreSQL: commit = the appending transaction's id (xid8), prepare = the global sequence number.
 * KurrentDB: its commit and prepare positions.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Before every event: reading or subscribing "after START" begins with the first event. */
export const START: Position = Object.freeze({ commit: -1n, prepare: -1n });

export function comparePositions(a: Position, b: Position): -1 | 0 | 1 {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Checkpoint form: "commit/prepare", both decimal. */
export function formatPosition(p: Position): string {
  return `${p.commit}/${p.prepare}`;
}

export function parsePosition(text: string): Position {
  const match = /^(-?\d+)\/(-?\d+)$/.exec(text);
  if (!match) throw new RangeError(`not a position: "${text}" (expected "commit/prepare")`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}
