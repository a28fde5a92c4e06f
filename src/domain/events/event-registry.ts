import { z } from 'zod';
import type { EventToAppend, RecordedEvent } from '../event-store/event-store.port.js';
import type { Position } from '../event-store/position.js';
import { type FieldIssue, toFieldIssues } from '../errors.js';
import { type DomainEvent, type EventMetadata, eventMetadataSchema } from './event-envelope.js';

/** Turns the data of version `n` into version `n + 1`. */
export type Upcaster = (data: unknown) => unknown;

export interface EventDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  /** The current version; stored events of older versions are upcast on read. */
  readonly schemaVersion: number;
  readonly schema: Schema;
  /** Keyed by the version they upgrade from: `{ 1: v1ToV2 }`. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
}

export function defineEvent<const Type extends string, Schema extends z.ZodType>(
  definition: EventDefinition<Type, Schema>,
): EventDefinition<Type, Schema> {
  for (let version = 1; version < definition.schemaVersion; version++) {
    if (!definition.upcasters?.[version]) {
      throw new Error(`${definition.type}: version ${definition.schemaVersion} needs an upcaster from ${version}`);
    }
  }
  return definition;
}

/** A stored or outgoing event does not fit its schema. Never swallowed: the consumer stops. */
export class EventSchemaViolation extends Error {
  override readonly name = 'EventSchemaViolation';
  constructor(
    readonly eventType: string,
    readonly eventId: string | undefined,
    readonly position: Position | undefined,
    readonly issues: readonly FieldIssue[],
  ) {
    super(
      `event ${eventType}${eventId ? ` ${eventId}` : ''} does not fit its schema: ` +
        issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
    );
  }
}

export type EventDataOf<D> = D extends EventDefinition<string, infer S> ? z.output<S> : never;

/** Every event type the system knows; validates on the way in and decodes (upcasts) on the way out. */
export class EventRegistry<Defs extends readonly EventDefinition[] = readonly EventDefinition[]> {
  private readonly byType: ReadonlyMap<string, EventDefinition>;

  constructor(readonly definitions: Defs) {
    const byType = new Map<string, EventDefinition>();
    for (const def of definitions) {
      if (byType.has(def.type)) throw new Error(`event type ${def.type} is defined twice`);
      byType.set(def.type, def);
    }
    this.byType = byType;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  get types(): string[] {
    return [...this.byType.keys()];
  }

  /** Validates the data against the current schema and stamps its schema version. */
  encode<T extends Defs[number]['type']>(
    type: T,
    id: string,
    data: EventDataOf<Extract<Defs[number], { type: T }>>,
    metadata: Omit<EventMetadata, 'schemaVersion'>,
  ): EventToAppend {
    const def = this.definitionOf(type, id, undefined);
    const parsed = def.schema.safeParse(data);
    if (!parsed.success) throw new EventSchemaViolation(type, id, undefined, toFieldIssues(parsed.error));
    // only the envelope's own fields are stored: a caller's context may carry more
    const { correlationId, causationId, actor, actorId, traceparent } = metadata;
    return {
      id,
      type,
      data: parsed.data,
      metadata: {
        correlationId,
        causationId,
        actor,
        ...(actorId === undefined ? {} : { actorId }),
        ...(traceparent === undefined ? {} : { traceparent }),
        schemaVersion: def.schemaVersion,
      },
    };
  }

  /** Upcasts a stored event to the current version and validates it. Throws EventSchemaViolation. */
  decode(event: RecordedEvent): DomainEvent {
    const def = this.definitionOf(event.type, event.id, event.position);
    const meta = eventMetadataSchema.safeParse(event.metadata);
    if (!meta.success) {
      throw new EventSchemaViolation(
        event.type,
        event.id,
        event.position,
        toFieldIssues(meta.error).map((i) => ({ ...i, path: `metadata.${i.path}` })),
      );
    }
    let data = event.data;
    const stored = meta.data.schemaVersion;
    if (stored > def.schemaVersion) {
      throw new EventSchemaViolation(event.type, event.id, event.position, [
        { path: 'metadata.schemaVersion', message: `version ${stored} is newer than this build knows (${def.schemaVersion})` },
      ]);
    }
    for (let version = stored; version < def.schemaVersion; version++) {
      data = def.upcasters![version]!(data);
    }
    const parsed = def.schema.safeParse(data);
    if (!parsed.success) throw new EventSchemaViolation(event.type, event.id, event.position, toFieldIssues(parsed.error));
    return {
      type: event.type,
      data: parsed.data,
      metadata: { ...meta.data, schemaVersion: def.schemaVersion },
      stream: event.stream,
      revision: event.revision,
    };
  }

  private definitionOf(type: string, id: string | undefined, position: Position | undefined): EventDefinition {
    const def = this.byType.get(type);
    if (!def) throw new EventSchemaViolation(type, id, position, [{ path: 'type', message: `unknown event type ${type}` }]);
    return def;
  }
}
