/** What a worker claimed: a saga that may need work now. The stream, not this, says what. */
export interface SagaClaim {
  readonly sagaId: string;
  readonly revisionSeen: number;
  /**
   * The claim before this one on the same work ended without giving it back (its worker died or
   * lost its lease mid-action): whatever it was running may have run partly.
   */
  readonly interrupted: boolean;
  /**
   * The claim took the saga's lock (per-saga mutual exclusion, gone with a crashed holder). False
   * when another worker holds it still (its lease ran out mid-action): the claim is given back.
   */
  readonly locked: boolean;
}

/** How a worker gives a saga back. */
export interface SagaRelease {
  /** When to look at it again (a wait's end, or a recheck), unless it moves on before. */
  readonly dueAt: Date;
  /** The saga's revision as the worker left it: a later one (someone else's event) makes it due at once. */
  readonly revision: number;
  /** It reached its end: not due again unless it moves on (a failed saga's compensation retried). */
  readonly finished: boolean;
}

/** A claim and how it is given back. */
export interface SagaGiveBack {
  readonly claim: SagaClaim;
  readonly release: SagaRelease;
}

/**
 * The durable work table seen from the workers: rows written by the saga-work projection, leased
 * in the workers' own table. Claims skip rows another worker is claiming or holds; a lease that ran
 * out is claimable again. Each worker works it through a session of its own.
 */
export interface SagaWorkQueue {
  openSession(owner: string): Promise<SagaWorkerSession>;
}

/** One worker's claims, each taking the saga's lock with it; its locks go with the session (a crashed worker's at once). */
export interface SagaWorkerSession {
  /**
   * Claims the most due saga; `giveBack`, the worker's last claim, is released in the same round
   * trip (as `release` would) and is never the saga claimed.
   */
  claim(leaseMs: number, giveBack?: SagaGiveBack): Promise<SagaClaim | null>;
  /** Extends this worker's lease; false when it no longer holds it. */
  extend(sagaId: string, leaseMs: number): Promise<boolean>;
  /** Gives the saga back, if this worker still holds it, and lets go of the lock its claim took. */
  release(claim: SagaClaim, release: SagaRelease): Promise<void>;
  close(): Promise<void>;
}

/** Where the built-in steps record what they did (tests count these; production ignores them). */
export interface StepEffects {
  record(sagaId: string, step: string, effect: 'execute' | 'compensate'): Promise<void>;
}

export const NO_EFFECTS: StepEffects = { record: async () => undefined };

/** Metrics the process manager feeds, by definition name (bounded); the adapter maps them onto Prometheus. */
export interface SagaMetricsSink {
  sagaStarted(definition: string): void;
  sagaFinished(definition: string, outcome: 'completed' | 'rolled_back' | 'cancelled' | 'failed'): void;
  stepFinished(definition: string, step: string, outcome: string, seconds: number): void;
  stepRetried(definition: string, step: string): void;
}

export const NO_METRICS: SagaMetricsSink = {
  sagaStarted: () => undefined,
  sagaFinished: () => undefined,
  stepFinished: () => undefined,
  stepRetried: () => undefined,
};

export interface SagaListFilter {
  readonly status?: string;
  readonly kind?: string;
  readonly deploymentId?: string;
  readonly definition?: string;
  /** Sagas acting on this resource (`do:droplet:<id>`). */
  readonly resourceId?: string;
  /** Started at or after / before these moments (RFC 3339). */
  readonly startedAfter?: string;
  readonly startedBefore?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface SagaRunSummary {
  readonly id: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  readonly status: string;
  readonly currentStep: string | null;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly cancelRequestedBy: string | null;
  readonly cancelReason: string | null;
  readonly resourceId: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

/** The saga_runs read model, for lists (current once the projection catches up). */
export interface SagaReadModel {
  list(filter: SagaListFilter): Promise<{ readonly items: SagaRunSummary[]; readonly nextCursor: string | null }>;
}
