/** How a step (or its compensation) is tried again. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 means no retry. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** When given, only these StepError codes are retried (and only when retryable). */
  readonly retryableCodes?: readonly string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2 };
export const DEFAULT_COMPENSATION_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2 };

/**
 * Capped exponential backoff with "equal jitter": half the capped delay is fixed, the other half
 * scaled by `jitter` in [0, 1), which the caller draws (the domain reads no random source).
 * `attempt` is the attempt that just failed, from 1.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, jitter: number): number {
  const exponent = Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** exponent);
  const j = Math.min(Math.max(jitter, 0), 1);
  return Math.round(capped / 2 + (capped / 2) * j);
}

/** Whether the attempt that failed with this error gets another one. */
export function shouldRetry(policy: RetryPolicy, error: { readonly code: string; readonly retryable: boolean }, attempt: number): boolean {
  if (!error.retryable || attempt >= policy.maxAttempts) return false;
  return policy.retryableCodes === undefined || policy.retryableCodes.includes(error.code);
}
