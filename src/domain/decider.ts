import type { z } from 'zod';
import type { EventDefinition } from './events/event-registry.js';

/**
 * The one shape of every aggregate (STYLE.md 1, 13; Emmett's Decider): what a command means in a
 * state (`decide`: events, or a typed error), what an event does to the state (`evolve`), and the
 * state before any event (`initialState`). Time comes in as an argument, so deciders read no clock.
 * `events` are the definitions of the events it folds: a stream's other events are passed over,
 * and its event union derives from them (`EventOf`).
 */
export interface Decider<State, Command, Event extends DomainEventShape> {
  readonly events: readonly EventDefinition[];
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, now: Date): readonly Event[];
}

/** An event as deciders see it: its type and its data, in the current schema version. */
export interface DomainEventShape {
  readonly type: string;
  readonly data: unknown;
}

/** The event union of a list of definitions: `{type, data}` for each, data typed by its zod schema. */
export type EventOf<Defs extends readonly EventDefinition[]> = {
  [K in keyof Defs]: Defs[K] extends EventDefinition<infer Type, infer Schema> ? { readonly type: Type; readonly data: z.output<Schema> } : never;
}[number];

/** The event types a decider folds. */
export const eventTypesOf = (decider: { readonly events: readonly EventDefinition[] }): readonly string[] => decider.events.map((d) => d.type);

/** Folds events into a state, from the initial one unless given. */
export function fold<State, Event extends DomainEventShape>(decider: Decider<State, never, Event>, events: Iterable<Event>, from: State = decider.initialState()): State {
  let state = from;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
