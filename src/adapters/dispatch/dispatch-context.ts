import { randomUUID } from 'node:crypto';
import type { Role } from '../../domain/access/roles.js';

/**
 * Who sends a command or query and why, as the entry point knows it: the HTTP edge (the token and
 * the request), the CLI, or the scheduler. The Dispatcher turns it into what a handler sees.
 */
export interface DispatchContext {
  /** Recorded on every event as the actor: a token's name, `cli`, or `system:<job>`. */
  readonly actor: string;
  /** The actor's id (an API token's id), recorded beside its name. */
  readonly actorId?: string;
  /** What the sender may do: handlers that refuse by role read it. */
  readonly role: Role;
  readonly correlationId: string;
  readonly causationId: string | null;
  /** Run at most once per key: the same principal, key and request within 24 hours gets the first result again. */
  readonly idempotency?: {
    readonly principalId: string;
    readonly key: string;
    /** Told when the result is the first run's, replayed, and nothing ran (HTTP sets `Idempotent-Replayed`). */
    readonly onReplayed?: () => void;
  };
}

/** What a handler sees: the sender, and under an idempotency key the seed its new ids derive from. */
export interface HandlerContext {
  readonly actor: string;
  readonly actorId?: string;
  readonly role: Role;
  readonly correlationId: string;
  readonly causationId: string | null;
  /** The same for every retry of the same request under a key: a saga id made from it names what an earlier run started. */
  readonly idempotencySeed?: string;
}

/** A scheduled job's context: the system acts, with platform_admin's reach, under a fresh correlation id. */
export function systemContext(actor: `system:${string}`): DispatchContext {
  return { actor, role: 'platform_admin', correlationId: randomUUID(), causationId: null };
}

/**
 * What the Dispatcher sends: its own fields are the request (what an idempotency key fingerprints);
 * the Dispatcher joins the sender's context before the bus hands it to its handler, once.
 */
abstract class Dispatchable<Result> {
  /** The type the handler answers with; never set (it types `Dispatcher.command` and `.query`). */
  declare protected readonly resultType?: Result;
  #context: HandlerContext | undefined;

  get context(): HandlerContext {
    if (!this.#context) throw new Error(`${this.constructor.name} reached its handler without a context: dispatch it through the Dispatcher`);
    return this.#context;
  }

  /** For the Dispatcher only. */
  withContext(context: HandlerContext): this {
    if (this.#context) throw new Error(`${this.constructor.name} was dispatched twice`);
    this.#context = context;
    return this;
  }
}

/** A change: runs through the CommandBus, may run under an idempotency key. */
export abstract class AppCommand<Result> extends Dispatchable<Result> {}

/** A read: runs through the QueryBus; reads that depend on the sender's role read its context. */
export abstract class AppQuery<Result> extends Dispatchable<Result> {}
