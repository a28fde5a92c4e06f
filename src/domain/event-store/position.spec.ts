import { comparePositions, formatPosition, parsePosition, type Position, START } from './position.js';

const position = (commit: bigint, prepare: bigint): Position => ({ commit, prepare });

describe('Position', () => {
  describe('comparePositions', () => {
    it('orders by commit first, whatever the prepare', () => {
      // given an earlier commit with a later prepare
      const earlier = position(5n, 900n);
      const later = position(6n, 1n);

      // when they are compared both ways
      // then the commit decides
      expect(comparePositions(earlier, later)).toBe(-1);
      expect(comparePositions(later, earlier)).toBe(1);
    });

    it('orders by prepare within the same commit', () => {
      // given two events of one transaction
      const first = position(7n, 10n);
      const second = position(7n, 11n);

      // when they are compared both ways
      // then the prepare decides
      expect(comparePositions(first, second)).toBe(-1);
      expect(comparePositions(second, first)).toBe(1);
    });

    it('finds equal positions equal, by value', () => {
      // given two distinct objects for one place in the log
      // when they are compared
      // then they are equal
      expect(comparePositions(position(3n, 4n), position(3n, 4n))).toBe(0);
    });

    it('sorts a shuffled log into position order, with START before every event', () => {
      // given positions out of order
      const shuffled = [position(2n, 0n), position(1n, 5n), START, position(1n, 2n), position(0n, 0n)];

      // when they are sorted
      const sorted = [...shuffled].sort(comparePositions);

      // then START comes first, then (commit, prepare) order
      expect(sorted).toEqual([START, position(0n, 0n), position(1n, 2n), position(1n, 5n), position(2n, 0n)]);
    });

    it('compares beyond the safe integer range without losing precision', () => {
      // given positions that differ only past 2^53
      const big = 2n ** 63n - 2n;

      // when they are compared
      // then the bigint difference counts
      expect(comparePositions(position(big, 0n), position(big + 1n, 0n))).toBe(-1);
    });
  });

  describe('formatPosition and parsePosition', () => {
    it.each([
      ['the start', START, '-1/-1'],
      ['the first event', position(0n, 0n), '0/0'],
      ['an ordinary position', position(731n, 42n), '731/42'],
      [
        'a 64-bit position',
        position(9_223_372_036_854_775_807n, 18_446_744_073_709_551_615n),
        '9223372036854775807/18446744073709551615',
      ],
    ])('round-trips %s', (_label, given, text) => {
      // given a position
      // when it is formatted and parsed back
      const formatted = formatPosition(given);
      const parsed = parsePosition(formatted);

      // then the text is "commit/prepare" and the position survives
      expect(formatted).toBe(text);
      expect(parsed).toEqual(given);
      expect(comparePositions(parsed, given)).toBe(0);
    });

    const garbage = ['', '12', '1/', '/2', '1/-', '1/2/3', 'a/b', '1.5/2', '0x1/2', '+1/2', '1\\2'];
    const padded = [' 1/2', '1/2 ', '1 /2', '1/2\n'];

    it.each([...garbage, ...padded])('rejects %j with a RangeError naming the expected form', (text) => {
      // given text that is not "commit/prepare"
      // when it is parsed
      // then it is refused
      expect(() => parsePosition(text)).toThrow(RangeError);
      expect(() => parsePosition(text)).toThrow(/expected "commit\/prepare"/);
    });
  });
});
