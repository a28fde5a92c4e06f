import { type SpecCommand, specDecider, type SpecEvent, type SpecState } from '../../domain/drift/spec.decider.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { StepContext } from '../../domain/saga/saga-step.js';
import { toSpecStream } from '../../domain/streams.js';
import type { Handled } from '../command-handler.js';
import type { StreamExpectation, StreamVersion } from '../event-stream.js';
import { handleInStep } from '../saga/handle-in-step.js';

/** Decides on the droplet's spec stream (as this saga's step); `expectNew` as handleInStep's. */
export function decideSpecInStep(store: EventStore, ctx: StepContext, command: SpecCommand, options: StreamExpectation = {}): Promise<Handled<SpecState, SpecEvent, StreamVersion>> {
  return handleInStep(store, ctx, toSpecStream(command.data.resourceId), specDecider, command, options);
}
