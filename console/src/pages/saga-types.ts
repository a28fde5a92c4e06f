export interface StepAttempt {
  readonly attempt: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly outcome: 'running' | 'waiting' | 'succeeded' | 'failed' | 'retrying' | string;
  readonly error: string | null;
  readonly code: string | null;
  readonly waits: number;
}

export interface CompensationAttempt {
  readonly attempt: number;
  readonly at: string;
  readonly outcome: 'compensated' | 'noop' | 'failed' | string;
  readonly error: string | null;
}

export interface SagaStep {
  readonly index: number;
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  readonly output: unknown;
  readonly error: string | null;
  readonly compensated: boolean;
  readonly attemptHistory: StepAttempt[];
  readonly compensationHistory: CompensationAttempt[];
}

export interface SagaView {
  readonly id: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  readonly status: string;
  readonly stuckReason: string | null;
  readonly cancelReason?: string | null;
  readonly cancelRequestedBy?: string | null;
  readonly inputs: Record<string, unknown>;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly currentStep: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly steps: SagaStep[];
}

/** One recorded event of the saga's stream, as GET /api/v1/sagas/:id/events lists it. */
export interface SagaEvent {
  readonly type: string;
  readonly revision?: string | number;
  readonly recordedAt?: string;
  readonly at?: string;
  readonly data?: unknown;
  readonly [key: string]: unknown;
}
