import type { Decider, DomainEventShape } from '../../src/domain/decider.js';

const DEFAULT_NOW = new Date('2026-12-02T10:00:00.000Z');

/**
 * Given events, when a command, then events or an error (Emmett's DeciderSpecification): the one
 * way every decider's unit tests are written.
 *
 *   spec.given([...events]).when(command, now).then([...expected])
 *   spec.given([...events]).when(command).thenThrows(LockHeld, { owner: 'ci' })
 */
export function deciderSpecification<State, Command, Event extends DomainEventShape>(decider: Decider<State, Command, Event>) {
  return {
    given(events: readonly Event[] = []) {
      const state = events.reduce((s, e) => decider.evolve(s, e), decider.initialState());
      return {
        /** The state the events fold to, for assertions on it. */
        state,
        when(command: Command, now: Date = DEFAULT_NOW) {
          const decide = () => decider.decide(command, state, now);
          return {
            /** The events decided, exactly. */
            then(expected: readonly Event[]): readonly Event[] {
              const events = decide();
              expect(events).toEqual(expected);
              return events;
            },
            /** The events decided, matched loosely (each expected event against the one at its place). */
            thenMatches(expected: readonly unknown[]): readonly Event[] {
              const events = decide();
              expect(events).toHaveLength(expected.length);
              expected.forEach((e, i) => expect(events[i]).toMatchObject(e as object));
              return events;
            },
            /** Nothing to record: the command is already true of the state. */
            thenNothing(): void {
              expect(decide()).toEqual([]);
            },
            /** A typed refusal, with the fields given. */
            thenThrows<E extends Error>(type: abstract new (...args: never[]) => E, fields: Partial<Record<keyof E, unknown>> = {}): E {
              let thrown: unknown;
              try {
                decide();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(type);
              expect(thrown).toMatchObject(fields);
              return thrown as E;
            },
            /** The state after the decided events, for assertions that read better on it. */
            thenState(): State {
              return decide().reduce((s, e) => decider.evolve(s, e), state);
            },
          };
        },
      };
    },
  };
}
