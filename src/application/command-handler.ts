import { ConcurrentWrite } from '../domain/event-store/event-store.errors.js';
import type { Decider, DomainEventShape } from '../domain/decider.js';
import { Conflict } from '../domain/errors.js';

/** An aggregate's state as read, with what the write must expect (a stream revision, an ETag). */
export interface Loaded<State, Version> {
  readonly state: State;
  readonly version: Version;
}

/**
 * Where an aggregate lives: an event stream (`streamAggregate`), or objects written with
 * conditional writes (the S3 IaC backend). `append` writes decided events only if the aggregate is
 * still at the version read, else throws ConcurrentWrite (WrongExpectedRevision for a stream).
 */
export interface AggregateStore<State, Event, Version> {
  load(): Promise<Loaded<State, Version>>;
  append(events: readonly Event[], loaded: Loaded<State, Version>): Promise<Version>;
}

export interface Handled<State, Event, Version> {
  /** The state the decision was made on. */
  readonly before: State;
  /** What was appended; none when the command was already true of the state. */
  readonly events: readonly Event[];
  /** The state after the events. */
  readonly state: State;
  readonly version: Version;
}

export interface HandleOptions {
  readonly now?: () => Date;
  /** Load-decide-append rounds before giving up (default 10). */
  readonly maxAttempts?: number;
  /** The error when every round met a concurrent write (default: Conflict `concurrent_change`). */
  readonly onExhausted?: (attempts: number) => Error;
  readonly random?: () => number;
}

/** Many writers racing on one aggregate: the losers' retries are spread out a little. */
const backoff = (attempt: number, random: () => number): Promise<void> => new Promise((resolve) => setTimeout(resolve, random() * 5 * attempt));

/**
 * The one command handler (STYLE.md 13; Emmett's CommandHandler): load, decide, append expecting
 * the version read; on a concurrent write, load and decide again, a bounded number of times.
 * Typed decider errors (expected failures) pass through to the caller.
 */
export async function handleCommand<State, Command, Event extends DomainEventShape, Version>(
  decider: Decider<State, Command, Event>,
  store: AggregateStore<State, Event, Version>,
  command: Command,
  options: HandleOptions = {},
): Promise<Handled<State, Event, Version>> {
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const loaded = await store.load();
    const events = decider.decide(command, loaded.state, options.now?.() ?? new Date());
    if (events.length === 0) return { before: loaded.state, events, state: loaded.state, version: loaded.version };
    try {
      const version = await store.append(events, loaded);
      return { before: loaded.state, events, state: events.reduce(decider.evolve, loaded.state), version };
    } catch (error) {
      if (!(error instanceof ConcurrentWrite)) throw error;
      if (attempt < maxAttempts) await backoff(attempt, options.random ?? Math.random);
    }
  }
  throw options.onExhausted?.(maxAttempts) ?? new ConcurrentChange(maxAttempts);
}

/** Other writers kept moving the aggregate until the retries ran out; the caller may try again. */
export class ConcurrentChange extends Conflict {
  override readonly name = 'ConcurrentChange';
  override readonly code = 'concurrent_change';
  constructor(attempts: number) {
    super(`it changed concurrently ${attempts} times in a row; try again`);
  }
}
