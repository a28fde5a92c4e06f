import type { Decider, DomainEventShape } from '../../src/domain/decider.js';

/** The time a command is decided at when the test names none. */
export const DEFAULT_NOW = new Date('2026-12-02T10:00:00.000Z');

/** A command with the time it is decided at (givenCommands); a bare command is decided at DEFAULT_NOW. */
export type TimedCommand<Command> = readonly [command: Command, now: Date];

/** What the events so far fold to; `when` decides a command on it. */
export interface Given<State, Command, Event> {
  readonly events: readonly Event[];
  readonly state: State;
  when(command: Command, now?: Date): When<State, Command, Event>;
}

export interface When<State, Command, Event> {
  /** The events decided, exactly — or as the check asserts; goes on from the events so far plus those. */
  then(expected: readonly Event[] | ((events: readonly Event[]) => void)): Given<State, Command, Event>;
  /** The events decided, matched loosely (each expected event against the one at its place). */
  thenMatches(expected: readonly unknown[]): Given<State, Command, Event>;
  /** Nothing to record: the command is already true of the state. */
  thenNothing(): void;
  /** A typed refusal, with the fields given. */
  thenThrows<E extends Error>(type: abstract new (...args: never[]) => E, fields?: Partial<Record<keyof E, unknown>>): E;
  /** The state after the decided events, for assertions that read better on it. */
  thenState(): State;
}

/**
 * Given events (or the events some commands decide), when a command, then events or an error
 * (Emmett's DeciderSpecification): the one way every decider's unit tests are written.
 *
 *   spec.given([...events]).when(command, now).then([...expected])
 *   spec.givenCommands(acquire(), [save('lock-1'), at(10)]).when(command).thenThrows(LockHeld, { owner: 'ci' })
 *   spec.given(events).when(command).then([...expected]).when(sameCommand).thenNothing()
 */
export function deciderSpecification<State, Command, Event extends DomainEventShape>(decider: Decider<State, Command, Event>) {
  const fold = (events: readonly Event[], from: State): State => events.reduce((s, e) => decider.evolve(s, e), from);
  const isTimed = (step: Command | TimedCommand<Command>): step is TimedCommand<Command> => Array.isArray(step);

  function given(events: readonly Event[] = []): Given<State, Command, Event> {
    const state = fold(events, decider.initialState());
    return {
      events,
      state,
      when(command, now = DEFAULT_NOW) {
        const decide = () => decider.decide(command, state, now);
        return {
          then(expected) {
            const decided = decide();
            if (typeof expected === 'function') expected(decided);
            else expect(decided).toEqual(expected);
            return given([...events, ...decided]);
          },
          thenMatches(expected) {
            const decided = decide();
            expect(decided).toHaveLength(expected.length);
            expected.forEach((e, i) => expect(decided[i]).toMatchObject(e as object));
            return given([...events, ...decided]);
          },
          thenNothing() {
            expect(decide()).toEqual([]);
          },
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
          thenState() {
            return fold(decide(), state);
          },
        };
      },
    };
  }

  return {
    given,
    /** Given the events these commands decide, each on the state the ones before it left. */
    givenCommands(...commands: readonly (Command | TimedCommand<Command>)[]): Given<State, Command, Event> {
      const events: Event[] = [];
      let state = decider.initialState();
      for (const step of commands) {
        const [command, now] = isTimed(step) ? step : ([step, DEFAULT_NOW] as const);
        const decided = decider.decide(command, state, now);
        events.push(...decided);
        state = fold(decided, state);
      }
      return given(events);
    },
  };
}
