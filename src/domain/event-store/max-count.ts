/**
 * The port's rule for maxCount, one for every store: a whole number of at least 0, or Infinity
 * (also what leaving it out means) for no limit. Anything else is a RangeError, never a guess.
 */
export function checkMaxCount(maxCount: number | undefined): number {
  if (maxCount === undefined || maxCount === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (Number.isSafeInteger(maxCount) && maxCount >= 0) return maxCount;
  throw new RangeError(`maxCount must be a whole number of at least 0, or Infinity; got ${maxCount}`);
}
