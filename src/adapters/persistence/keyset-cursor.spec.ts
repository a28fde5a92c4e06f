import { InvalidInput } from '../../domain/errors.js';
import { cursorText, cursorTimestamp, keysetCursor } from './keyset-cursor.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('keyset cursors', () => {
  const cursor = keysetCursor(cursorTimestamp, cursorText);

  it('round-trips the sort key of a page’s last row', () => {
    // given a key with a microsecond timestamp
    const key = ['2026-12-02T10:00:00.123456Z', 'a1b2'] as const;

    // when it is encoded and decoded
    // then the same parts come back
    expect(cursor.decode(cursor.encode([...key] as [string, string]))).toEqual([...key]);
  });

  it.each([
    ['a timestamp the database would refuse', b64(['1', 'x'])],
    ['a date without microseconds', b64(['2026-12-02T10:00:00.123Z', 'x'])],
    ['year zero', b64(['0000-01-01T00:00:00.000000Z', 'x'])],
    ['a NUL in a text part', b64(['2026-12-02T10:00:00.123456Z', 'a\u0000b'])],
    ['a part that is not text', b64(['2026-12-02T10:00:00.123456Z', 7])],
    ['too few parts', b64(['2026-12-02T10:00:00.123456Z'])],
    ['too many parts', b64(['2026-12-02T10:00:00.123456Z', 'x', 'y'])],
    ['an empty text part', b64(['2026-12-02T10:00:00.123456Z', ''])],
    ['not JSON', Buffer.from('{oops').toString('base64url')],
    ['not base64url', 'abc+/=='],
    ['an object', b64({ at: 1 })],
    ['too long', 'A'.repeat(2000)],
  ])('refuses %s as invalid input at query.cursor', (_label, value) => {
    // given a cursor this API did not return
    // when it is decoded
    // then it is a 400-class InvalidInput naming the cursor, never a query error later
    expect(() => cursor.decode(value)).toThrow(InvalidInput);
    try {
      cursor.decode(value);
    } catch (error) {
      expect((error as InvalidInput).issues).toEqual([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
    }
  });
});
