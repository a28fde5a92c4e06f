import { z } from 'zod';
import type { RecordedEvent } from '../event-store/event-store.port.js';
import type { Position } from '../event-store/position.js';
import { defineEvent, EventRegistry, EventSchemaViolation } from './event-registry.js';

/** v1 stored `{ dropletId, size }`; v2 adds the region, which v1 droplets all had implicitly. */
const DropletCreated = defineEvent({
  type: 'DropletCreated',
  schemaVersion: 2,
  schema: z.object({ dropletId: z.string().min(1), size: z.string().min(1), region: z.string().min(1) }),
  upcasters: { 1: (data) => ({ ...(data as object), region: 'nyc3' }) },
});

const DropletDestroyed = defineEvent({
  type: 'DropletDestroyed',
  schemaVersion: 1,
  schema: z.object({ dropletId: z.string().min(1), tags: z.array(z.string()) }),
});

const registry = new EventRegistry([DropletCreated, DropletDestroyed]);

const metadata = { correlationId: 'req-1', causationId: null, actor: 'token:ci' };
const position: Position = { commit: 12n, prepare: 34n };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function recorded(overrides: Partial<RecordedEvent>): RecordedEvent {
  return {
    stream: 'resource-d1',
    revision: 3n,
    position,
    id: 'e0000000-0000-4000-8000-000000000001',
    type: 'DropletCreated',
    data: { dropletId: 'd1', size: 's-1vcpu-1gb', region: 'ams3' },
    metadata: { ...metadata, schemaVersion: 2 },
    recordedAt: new Date('2026-11-22T00:00:00.000Z'),
    ...overrides,
  };
}

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('EventRegistry', () => {
  describe('encode', () => {
    it('validates the data and stamps the current schema version', () => {
      // given a valid DropletCreated
      const data = { dropletId: 'd1', size: 's-1vcpu-1gb', region: 'ams3' };

      // when it is encoded
      const event = registry.encode('DropletCreated', 'e1', data, metadata);

      // then it is ready to append, at version 2
      expect(event).toEqual({ id: 'e1', type: 'DropletCreated', data, metadata: { ...metadata, schemaVersion: 2 } });
    });

    it('rejects data that does not fit, listing each path and message', () => {
      // given data with a wrong type at the root and inside an array
      const bad = { dropletId: 42, tags: ['web', 7] } as never;

      // when it is encoded
      const error = thrownBy(() => registry.encode('DropletDestroyed', 'e2', bad, metadata));

      // then an EventSchemaViolation names the event and every issue
      expect(error).toBeInstanceOf(EventSchemaViolation);
      const violation = error as EventSchemaViolation;
      expect(violation).toMatchObject({ eventType: 'DropletDestroyed', eventId: 'e2', position: undefined });
      expect(violation.issues).toEqual([
        { path: 'dropletId', message: expect.stringMatching(/expected string/) },
        { path: 'tags.1', message: expect.stringMatching(/expected string/) },
      ]);
      expect(violation.message).toMatch(/^event DropletDestroyed e2 does not fit its schema: dropletId: .+; tags\.1: .+/);
    });

    it('keeps the trace that appended the event, and nothing else a context carries', () => {
      // given metadata with the appending span's traceparent and a field the envelope does not have
      const traced = { ...metadata, traceparent: TRACEPARENT, requestPath: '/api/v1/droplets' };

      // when an event is encoded with it
      const event = registry.encode('DropletDestroyed', 'e4', { dropletId: 'd1', tags: [] }, traced as never);

      // then the traceparent is stored beside the envelope's fields, the stray field is not
      expect(event.metadata).toEqual({ ...metadata, traceparent: TRACEPARENT, schemaVersion: 1 });
    });

    it('rejects a type the registry does not know', () => {
      // given a type nobody defined
      // when it is encoded
      const error = thrownBy(() => registry.encode('DropletResized' as never, 'e3', {} as never, metadata));

      // then the violation points at the type
      expect(error).toBeInstanceOf(EventSchemaViolation);
      expect((error as EventSchemaViolation).issues).toEqual([{ path: 'type', message: 'unknown event type DropletResized' }]);
    });
  });

  describe('decode', () => {
    it('upcasts a v1 event to the current version through its upcaster', () => {
      // given a DropletCreated stored at version 1, before regions were recorded
      const stored = recorded({ data: { dropletId: 'd1', size: 's-1vcpu-1gb' }, metadata: { ...metadata, schemaVersion: 1 } });

      // when it is decoded
      const event = registry.decode(stored);

      // then it reads as version 2, in the same place
      expect(event).toEqual({
        type: 'DropletCreated',
        data: { dropletId: 'd1', size: 's-1vcpu-1gb', region: 'nyc3' },
        metadata: { ...metadata, schemaVersion: 2 },
        stream: 'resource-d1',
        revision: 3n,
      });
    });

    it('decodes an event already at the current version without upcasting it', () => {
      // given a DropletCreated stored at version 2
      const stored = recorded({});

      // when it is decoded
      const event = registry.decode(stored);

      // then its data is as stored
      expect(event.data).toEqual({ dropletId: 'd1', size: 's-1vcpu-1gb', region: 'ams3' });
      expect(event.metadata.schemaVersion).toBe(2);
    });

    it('chains upcasters across several versions', () => {
      // given a v3 schema that renames size to sizeSlug, and an event stored at v1
      const V3 = defineEvent({
        type: 'DropletCreated',
        schemaVersion: 3,
        schema: z.object({ dropletId: z.string(), sizeSlug: z.string(), region: z.string() }),
        upcasters: {
          1: (data) => ({ ...(data as object), region: 'nyc3' }),
          2: (data) => {
            const { size, ...rest } = data as { size: string };
            return { ...rest, sizeSlug: size };
          },
        },
      });
      const stored = recorded({ data: { dropletId: 'd1', size: 's-1vcpu-1gb' }, metadata: { ...metadata, schemaVersion: 1 } });

      // when it is decoded
      const event = new EventRegistry([V3]).decode(stored);

      // then both upcasters ran, in order
      expect(event.data).toEqual({ dropletId: 'd1', sizeSlug: 's-1vcpu-1gb', region: 'nyc3' });
      expect(event.metadata.schemaVersion).toBe(3);
    });

    it('rejects an unknown type, naming the event and its position', () => {
      // given a stored event of a type this build does not know
      const stored = recorded({ type: 'DropletTeleported' });

      // when it is decoded
      const error = thrownBy(() => registry.decode(stored));

      // then the violation says where the consumer stopped
      expect(error).toBeInstanceOf(EventSchemaViolation);
      expect(error).toMatchObject({
        eventType: 'DropletTeleported',
        eventId: stored.id,
        position,
        issues: [{ path: 'type', message: 'unknown event type DropletTeleported' }],
      });
    });

    it('rejects metadata that does not fit, with paths under metadata', () => {
      // given metadata without a correlation id and with a zero schema version
      const stored = recorded({ metadata: { causationId: null, actor: 'token:ci', schemaVersion: 0 } });

      // when it is decoded
      const error = thrownBy(() => registry.decode(stored));

      // then each bad field is listed under metadata
      expect(error).toBeInstanceOf(EventSchemaViolation);
      const paths = (error as EventSchemaViolation).issues.map((i) => i.path);
      expect(paths).toEqual(['metadata.correlationId', 'metadata.schemaVersion']);
    });

    it('reads a stored traceparent, and one that does not parse as absent rather than as a violation', () => {
      // given one event with a valid traceparent and one whose traceparent is garbage
      const good = recorded({ metadata: { ...metadata, schemaVersion: 2, traceparent: TRACEPARENT } });
      const garbled = recorded({ metadata: { ...metadata, schemaVersion: 2, traceparent: '00-not-a-trace-01' } });

      // when they are decoded
      const kept = registry.decode(good);
      const dropped = registry.decode(garbled);

      // then the first keeps it; the second decodes without it (a trace link is a hint, never a reason to stop)
      expect(kept.metadata.traceparent).toBe(TRACEPARENT);
      expect(dropped.metadata).toEqual({ ...metadata, schemaVersion: 2 });
    });

    it('rejects a schema version newer than this build knows', () => {
      // given an event written by a newer build, at version 3
      const stored = recorded({ metadata: { ...metadata, schemaVersion: 3 } });

      // when it is decoded
      const error = thrownBy(() => registry.decode(stored));

      // then it is refused rather than misread
      expect(error).toBeInstanceOf(EventSchemaViolation);
      expect((error as EventSchemaViolation).issues).toEqual([
        { path: 'metadata.schemaVersion', message: 'version 3 is newer than this build knows (2)' },
      ]);
    });

    it('rejects data that fails the schema', () => {
      // given a stored DropletDestroyed whose data is damaged
      const stored = recorded({
        type: 'DropletDestroyed',
        data: { dropletId: '', tags: 'web' },
        metadata: { ...metadata, schemaVersion: 1 },
      });

      // when it is decoded
      const error = thrownBy(() => registry.decode(stored));

      // then every issue is listed with its path
      expect(error).toBeInstanceOf(EventSchemaViolation);
      expect(error).toMatchObject({ eventType: 'DropletDestroyed', eventId: stored.id, position });
      expect((error as EventSchemaViolation).issues.map((i) => i.path)).toEqual(['dropletId', 'tags']);
    });

    it('rejects upcast data that still fails the current schema', () => {
      // given a v1 event missing the size, which the upcaster does not supply
      const stored = recorded({ data: { dropletId: 'd1' }, metadata: { ...metadata, schemaVersion: 1 } });

      // when it is decoded
      const error = thrownBy(() => registry.decode(stored));

      // then the current schema's complaint is reported
      expect(error).toBeInstanceOf(EventSchemaViolation);
      expect((error as EventSchemaViolation).issues.map((i) => i.path)).toEqual(['size']);
    });
  });

  describe('defineEvent', () => {
    it('refuses a version without an upcaster from the one before', () => {
      // given a v3 definition with an upcaster from v1 only
      const define = () =>
        defineEvent({
          type: 'DropletCreated',
          schemaVersion: 3,
          schema: z.object({}),
          upcasters: { 1: (data) => data },
        });

      // when it is defined
      // then the gap at v2 is named
      expect(define).toThrow('DropletCreated: version 3 needs an upcaster from 2');
    });

    it('refuses a version above 1 with no upcasters at all', () => {
      // given a v2 definition without upcasters
      // when it is defined
      // then the missing v1 upcaster is named
      expect(() => defineEvent({ type: 'DropletCreated', schemaVersion: 2, schema: z.object({}) })).toThrow(
        'DropletCreated: version 2 needs an upcaster from 1',
      );
    });

    it('accepts a first version without upcasters', () => {
      // given a v1 definition
      const definition = { type: 'DropletCreated', schemaVersion: 1, schema: z.object({}) } as const;

      // when it is defined
      // then it is returned as given
      expect(defineEvent(definition)).toBe(definition);
    });
  });

  describe('construction', () => {
    it('refuses two definitions of the same type', () => {
      // given two definitions sharing a type
      const again = defineEvent({ type: 'DropletDestroyed', schemaVersion: 1, schema: z.object({}) });

      // when a registry is built from both
      // then it is refused
      expect(() => new EventRegistry([DropletDestroyed, again])).toThrow('event type DropletDestroyed is defined twice');
    });

    it('lists the types it knows', () => {
      // given the registry above
      // when it is asked
      // then it knows both types and no other
      expect(registry.types).toEqual(['DropletCreated', 'DropletDestroyed']);
      expect(registry.has('DropletCreated')).toBe(true);
      expect(registry.has('DropletTeleported')).toBe(false);
    });
  });
});
