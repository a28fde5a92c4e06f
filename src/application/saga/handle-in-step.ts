import type { Decider, DomainEventShape } from '../../domain/decider.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { ExpectedError } from '../../domain/errors.js';
import { type StepContext, StepError } from '../../domain/saga/saga-step.js';
import type { Handled } from '../command-handler.js';
import { handleOnStream, type StreamExpectation, type StreamVersion } from '../event-stream.js';

/**
 * A command from inside a saga step, through the one command handler: the events carry the saga as
 * their correlation and the saga's starter as their actor, at the step's time. A typed refusal of
 * the decider fails the step without retry (trying again would be refused again). `expectNew`: the
 * stream is most likely new (one the saga's own step just made the resource for), so it is not read
 * first; if it is not new, the append fails its expected revision and the stream is read then.
 */
export async function handleInStep<State, Command, Event extends DomainEventShape>(
  store: EventStore,
  ctx: StepContext,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  { expectNew = false }: StreamExpectation = {},
): Promise<Handled<State, Event, StreamVersion>> {
  try {
    return await handleOnStream(store, stream, decider, command, { correlationId: ctx.sagaId, causationId: null, actor: ctx.triggeredBy }, { now: () => ctx.now, maxAttempts: 5, expectNew });
  } catch (error) {
    if (error instanceof ExpectedError) throw new StepError(error.code, error.message, false);
    throw error;
  }
}
