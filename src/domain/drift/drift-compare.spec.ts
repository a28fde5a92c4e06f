import type { ResourceState } from '../inventory/resource.js';
import { canonicalJson, compareSpec, valuesEqual } from './drift-compare.js';

/** A live droplet as the inventory has it: the columns, and the rest in attrs. */
const live = (overrides: Partial<ResourceState> = {}): ResourceState => ({
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: '572017320',
  name: 'web-1',
  region: 'nyc3',
  size_slug: 's-1vcpu-1gb',
  status: 'active',
  tags: ['managed-by-cloudledger', 'web'],
  attrs: { image: 'ubuntu-24-04-x64', public_ipv4: null, created_at: '2026-11-01T00:00:00Z', vcpus: 1, backups: false },
  ...overrides,
});

describe('drift comparison', () => {
  describe('valuesEqual: scalars compare as their text', () => {
    it.each([
      ['the same string', 'nyc3', 'nyc3'],
      ['a number and its numeric string', 2, '2'],
      ['a numeric string and its number', '2048', 2048],
      ['a decimal and its text', 1.5, '1.5'],
      ['a boolean and its text', true, 'true'],
      ['false and "false"', 'false', false],
      ['null and ""', null, ''],
      ['"" and null', '', null],
      ['a missing value and ""', undefined, ''],
      ['null and a missing value', null, undefined],
    ])('%s are equal', (_case, expected, actual) => {
      // given an expected and an actual value that a JSON round trip could turn into one another
      // when they are compared / then they match
      expect(valuesEqual(expected, actual)).toBe(true);
    });

    it.each([
      ['different strings', 'nyc3', 'sfo3'],
      ['strings differing only in case', 'NYC3', 'nyc3'],
      ['strings differing only in whitespace', 'nyc3 ', 'nyc3'],
      ['a number and a differently written number', 1, '1.0'],
      ['different numbers', 1, 2],
      ['0 and null', 0, null],
      ['false and null', false, null],
      ['false and ""', false, ''],
      ['true and false', true, false],
      ['a value and null', 's-1vcpu-1gb', null],
      ['null and a value', null, 's-1vcpu-1gb'],
      ['the text "null" and null', 'null', null],
    ])('%s differ', (_case, expected, actual) => {
      expect(valuesEqual(expected, actual)).toBe(false);
    });
  });

  describe('valuesEqual: lists compare as sets', () => {
    it('ignores order', () => {
      // given tags in one order in the spec and another on the droplet
      // then they match
      expect(valuesEqual(['web', 'prod'], ['prod', 'web'])).toBe(true);
    });

    it('ignores duplicates', () => {
      expect(valuesEqual(['web', 'web', 'prod'], ['prod', 'web'])).toBe(true);
      expect(valuesEqual(['web'], ['web', 'web'])).toBe(true);
    });

    it('matches elements by their text, so numbers survive a JSON round trip as strings', () => {
      expect(valuesEqual([22, 443], ['443', '22'])).toBe(true);
      expect(valuesEqual([true], ['true'])).toBe(true);
    });

    it('matches a list with the same list after JSON.stringify/parse', () => {
      const expected = ['web', 80, false, null];
      expect(valuesEqual(expected, JSON.parse(JSON.stringify(expected)))).toBe(true);
    });

    it('finds a missing element', () => {
      expect(valuesEqual(['web', 'prod'], ['web'])).toBe(false);
    });

    it('finds an extra element', () => {
      expect(valuesEqual(['web'], ['web', 'prod'])).toBe(false);
    });

    it('finds a replaced element even when the sizes agree', () => {
      expect(valuesEqual(['web', 'prod'], ['web', 'staging'])).toBe(false);
    });

    it('does not let duplicates on one side hide a missing element on the other', () => {
      // {web} vs {web, prod}: the spec's two entries are one element
      expect(valuesEqual(['web', 'web'], ['web', 'prod'])).toBe(false);
    });

    it('takes an empty list, null and "" for the same nothing', () => {
      expect(valuesEqual([], [])).toBe(true);
      expect(valuesEqual([], null)).toBe(true);
      expect(valuesEqual(null, [])).toBe(true);
      expect(valuesEqual('', [])).toBe(true);
      expect(valuesEqual([], undefined)).toBe(true);
    });

    it('does not take a non-empty list for nothing', () => {
      expect(valuesEqual(['web'], null)).toBe(false);
      expect(valuesEqual(null, ['web'])).toBe(false);
      expect(valuesEqual(['web'], [])).toBe(false);
    });
  });

  describe('valuesEqual: nested objects', () => {
    it('matches objects with the same content in any key order (a jsonb round trip reorders keys)', () => {
      expect(valuesEqual({ cpu: 1, memory: 1024 }, { memory: 1024, cpu: 1 })).toBe(true);
      expect(valuesEqual({ disk: { size: 25, type: 'ssd' } }, { disk: { type: 'ssd', size: 25 } })).toBe(true);
    });

    it('finds a changed value inside an object', () => {
      expect(valuesEqual({ cpu: 1, memory: 1024 }, { cpu: 1, memory: 2048 })).toBe(false);
    });

    it('finds a missing key inside an object', () => {
      expect(valuesEqual({ cpu: 1, memory: 1024 }, { cpu: 1 })).toBe(false);
    });

    it('compares values inside objects exactly: loose text equality is for top-level scalars', () => {
      expect(valuesEqual({ cpu: 1 }, { cpu: '1' })).toBe(false);
    });

    it('does not take an object for null', () => {
      expect(valuesEqual({}, null)).toBe(false);
    });
  });

  describe('canonicalJson', () => {
    it('writes objects with their keys sorted, at every depth, leaving list order alone', () => {
      expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
    });
  });

  describe('compareSpec', () => {
    it('finds nothing when every spec field matches', () => {
      // given a spec that agrees with the droplet, tags in another order and a number as text
      const spec = { size_slug: 's-1vcpu-1gb', region: 'nyc3', tags: ['web', 'managed-by-cloudledger'], vcpus: '1' };

      // when compared / then nothing is drifted
      expect(compareSpec(spec, live())).toEqual([]);
    });

    it("reports only the drifted field, with the spec's value and the live one (the seed's smoke case)", () => {
      // given a spec with a wrong size_slug and a correct region
      const spec = { size_slug: 's-2vcpu-4gb', region: 'nyc3' };

      // when compared with the live droplet
      // then only size_slug is reported
      expect(compareSpec(spec, live())).toEqual([{ field: 'size_slug', expected: 's-2vcpu-4gb', actual: 's-1vcpu-1gb' }]);
    });

    it('reports every drifted field, in the order of the spec', () => {
      const spec = { tags: ['db'], region: 'sfo3', name: 'web-1', size_slug: 's-2vcpu-4gb' };
      expect(compareSpec(spec, live()).map((m) => m.field)).toEqual(['tags', 'region', 'size_slug']);
    });

    it("compares tags without cloudledger's own: the managed tag and a saga's tag are not desired state", () => {
      // given a droplet carrying its saga's tag besides the managed one, and a spec naming only the team's tags
      const droplet = live({ tags: ['managed-by-cloudledger', 'cloudledger-saga-1a2b3c4d', 'web'] });

      // when compared / then the tags agree
      expect(compareSpec({ tags: ['web'] }, droplet)).toEqual([]);
      // and a drift on tags shows the team's tags only, so the same cause on two droplets reads the same
      expect(compareSpec({ tags: ['web', 'pool-a'] }, droplet)).toEqual([{ field: 'tags', expected: ['web', 'pool-a'], actual: ['web'] }]);
    });

    it('resolves a field that is not a column from attrs', () => {
      // given a spec on image, which the inventory keeps in attrs
      // when the droplet runs another image / then image drifted, with the attrs value as actual
      expect(compareSpec({ image: 'debian-12-x64' }, live())).toEqual([{ field: 'image', expected: 'debian-12-x64', actual: 'ubuntu-24-04-x64' }]);
      // and the same image matches
      expect(compareSpec({ image: 'ubuntu-24-04-x64' }, live())).toEqual([]);
    });

    it('resolves a column before attrs, even when attrs has a key of the same name', () => {
      const droplet = live({ attrs: { ...live().attrs, region: 'sfo3' } });
      expect(compareSpec({ region: 'nyc3' }, droplet)).toEqual([]);
      expect(compareSpec({ region: 'sfo3' }, droplet)).toEqual([{ field: 'region', expected: 'sfo3', actual: 'nyc3' }]);
    });

    it('compares attrs loosely too: a boolean and a number against their text', () => {
      expect(compareSpec({ backups: 'false', vcpus: 1 }, live())).toEqual([]);
      expect(compareSpec({ backups: true }, live())).toEqual([{ field: 'backups', expected: true, actual: false }]);
    });

    it('takes a field that is nowhere on the resource as null: equal to "" or null, a drift from any value', () => {
      expect(compareSpec({ monitoring: '' }, live())).toEqual([]);
      expect(compareSpec({ monitoring: null }, live())).toEqual([]);
      expect(compareSpec({ monitoring: true }, live())).toEqual([{ field: 'monitoring', expected: true, actual: null }]);
    });

    it('takes a null attr as equal to ""', () => {
      expect(compareSpec({ public_ipv4: '' }, live())).toEqual([]);
      expect(compareSpec({ public_ipv4: '203.0.113.10' }, live())).toEqual([{ field: 'public_ipv4', expected: '203.0.113.10', actual: null }]);
    });

    it('does not resolve a field against the prototype of attrs', () => {
      // given spec fields named like Object.prototype members, which no droplet has
      // then they resolve to null, not to a function
      expect(compareSpec({ constructor: '', toString: null }, live())).toEqual([]);
      expect(compareSpec({ constructor: 'x' }, live())).toEqual([{ field: 'constructor', expected: 'x', actual: null }]);
    });

    it('compares a nested object in attrs regardless of key order', () => {
      const droplet = live({ attrs: { ...live().attrs, size: { memory: 1024, vcpus: 1 } } });
      expect(compareSpec({ size: { vcpus: 1, memory: 1024 } }, droplet)).toEqual([]);
      expect(compareSpec({ size: { vcpus: 2, memory: 1024 } }, droplet)).toEqual([
        { field: 'size', expected: { vcpus: 2, memory: 1024 }, actual: { memory: 1024, vcpus: 1 } },
      ]);
    });

    it('finds nothing for an empty spec', () => {
      expect(compareSpec({}, live())).toEqual([]);
    });
  });
});
