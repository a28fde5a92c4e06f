import { parseFilter, parseLockRequest, parseRecord } from './iac-input.js';
import { iacStateRecordSchema, MAX_DOCUMENT_BYTES, storedIacStateRecordSchema } from './iac-state.js';
import { InvalidIacRequest, InvalidStateRecord } from './iac-state-store.port.js';

/** A record as the origin store writes it (seed 003: Go's `json.Marshal` of IaCState). */
const originJson = `{
  "resource_id": "do:droplet:572017320",
  "resource_type": "droplet",
  "provider": "digitalocean",
  "provider_ref": "nyc3",
  "provider_id": "572017320",
  "config_hash": "sha256:9f2c",
  "status": "active",
  "outputs": {"ipv4": "203.0.113.10", "ports": [22, 443]},
  "config": {"size": "s-1vcpu-1gb", "tags": ["web"], "nested": {"a": null}},
  "dependencies": ["do:vpc:1"],
  "created_at": "2026-11-01T10:00:00Z",
  "updated_at": "2026-11-02T10:00:00.123456789+02:00",
  "error": "previous apply timed out"
}`;

function issuesOf(act: () => unknown): { path: string; message: string }[] {
  try {
    act();
  } catch (error) {
    if (error instanceof InvalidStateRecord || error instanceof InvalidIacRequest) return [...error.issues];
    throw error;
  }
  throw new Error('expected the input to be refused');
}

describe('the IaC state record', () => {
  it('round-trips the origin JSON field for field', () => {
    // given a record serialized by the origin store
    const origin = JSON.parse(originJson) as unknown;

    // when it is parsed as a stored record and serialized again
    const again = JSON.parse(JSON.stringify(iacStateRecordSchema.parse(origin))) as unknown;

    // then nothing is lost, renamed or added
    expect(again).toEqual(origin);
  });

  it('accepts the origin omitting its omitempty fields and sending null maps', () => {
    // given a minimal origin record (a nil Go map marshals as null)
    const minimal = { resource_id: 'x1', resource_type: 'bucket', provider: 'aws', status: 'planned', outputs: null, config: null, created_at: '', updated_at: '' };

    // when it is parsed as client input
    const record = parseRecord(minimal);

    // then the maps are empty and the timestamps left for the store to fill
    expect(record).toMatchObject({ resource_id: 'x1', outputs: {}, config: {} });
    expect(record.created_at).toBeUndefined();
    expect(record.updated_at).toBeUndefined();
  });

  it('refuses an invalid status, naming the allowed ones', () => {
    // given a record with a status the origin does not know
    // when it is parsed
    // then the status field is named
    expect(issuesOf(() => parseRecord({ ...JSON.parse(originJson), status: 'running' }))).toEqual([
      { path: 'status', message: 'must be one of planned, provisioning, active, destroying, destroyed, error' },
    ]);
  });

  it('refuses a missing resource id, and one with a slash', () => {
    // given records without a resource id and with an unusable one
    const { resource_id: _, ...withoutId } = JSON.parse(originJson) as Record<string, unknown>;

    // when they are parsed
    // then resource_id is named in each
    expect(issuesOf(() => parseRecord(withoutId))).toEqual([{ path: 'resource_id', message: 'resource id is required' }]);
    expect(issuesOf(() => parseRecord({ ...withoutId, resource_id: 'a/b' }))[0]?.path).toBe('resource_id');
  });

  it('refuses a config over 256 KiB serialized, with its size', () => {
    // given a config just over the limit
    const config = { blob: 'x'.repeat(MAX_DOCUMENT_BYTES) };

    // when it is parsed
    const issues = issuesOf(() => parseRecord({ ...JSON.parse(originJson), config }));

    // then the config field says how big it was
    expect(issues).toEqual([{ path: 'config', message: 'is 256.0 KiB serialized; the limit is 256 KiB' }]);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    // given 100 Ki three-byte characters: 300 KiB though only 100 Ki characters
    const config = { text: '€'.repeat(100 * 1024) };

    // when it is parsed
    // then it is too big
    expect(issuesOf(() => parseRecord({ ...JSON.parse(originJson), config }))[0]?.path).toBe('config');
  });

  it('refuses unknown fields, bad timestamps and non-JSON values, all at once', () => {
    // given a camelCase key, a local time without zone and a config holding undefined
    const input = { ...JSON.parse(originJson), resourceType: 'droplet', created_at: '2026-11-01 10:00:00', config: { a: undefined } };

    // when it is parsed
    const issues = issuesOf(() => parseRecord(input));

    // then each is listed
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'resourceType', message: 'unknown field' },
        { path: 'created_at', message: 'must be an RFC 3339 date-time, e.g. 2026-11-22T10:00:00Z' },
        expect.objectContaining({ path: 'config.a' }),
      ]),
    );
  });

  it('reads a stored record tolerantly: fields a newer tool added are dropped, not refused', () => {
    // given an object another tool wrote with an extra field
    const fromBucket = { ...JSON.parse(originJson), region_hint: 'nyc3' };

    // when it is read back
    const record = storedIacStateRecordSchema.parse(fromBucket);

    // then it reads as a record without the extra field
    expect(record).not.toHaveProperty('region_hint');
    expect(record.resource_id).toBe('do:droplet:572017320');
  });
});

describe('IaC request arguments', () => {
  it('treats a missing or empty filter, and empty values, as no filter', () => {
    // given the ways a caller says "everything"
    // when they are parsed
    // then no key constrains the list
    expect(parseFilter(undefined)).toEqual({});
    expect(parseFilter({})).toEqual({});
    expect(parseFilter({ resource_type: '', provider: '', status: '' })).toEqual({
      resource_type: undefined,
      provider: undefined,
      status: undefined,
    });
  });

  it('refuses an unknown filter key and an invalid status', () => {
    // given filters the origin does not support
    // when they are parsed
    // then each is refused with its field
    expect(issuesOf(() => parseFilter({ region: 'nyc3' } as never))).toEqual([{ path: 'region', message: 'unknown field' }]);
    expect(issuesOf(() => parseFilter({ status: 'running' } as never))[0]?.path).toBe('status');
  });

  it('defaults a lock request to a 15-minute lock and refuses a missing owner', () => {
    // given a lock request with owner and operation only, and one without an owner
    // when they are parsed
    // then the first gets defaults and the second is refused
    expect(parseLockRequest({ owner: 'ci', operation: 'apply' })).toEqual({ owner: 'ci', operation: 'apply', info: '', ttlSeconds: 900 });
    expect(issuesOf(() => parseLockRequest({ operation: 'apply' } as never))).toEqual([{ path: 'owner', message: 'owner is required' }]);
  });
});
