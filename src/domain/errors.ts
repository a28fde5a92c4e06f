/**
 * The expected failures, as values the edges map in one place (STYLE.md 12): invalid input → 400,
 * forbidden → 403, not found → 404, conflict → 409, precondition failed → 412, not allowed → 422. Feature errors extend these; anything else
 * is unexpected and answers 500 without detail.
 */
import type { z } from 'zod';
import type { Role } from './access/roles.js';

export interface FieldIssue {
  /** Dotted path into the input, e.g. `config` or `dependencies.2`; empty for the whole input. */
  readonly path: string;
  readonly message: string;
}

/** A zod error as field issues, one per field (unknown keys each at their own path). */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
    return [{ path: path.join('.'), message: issue.message }];
  });
}

export abstract class ExpectedError extends Error {
  /** A stable machine-readable code, e.g. "lock_held". */
  abstract readonly code: string;
  /** Extra fields safe to show the caller. */
  readonly details: Readonly<Record<string, unknown>> = {};
}

export class InvalidInput extends ExpectedError {
  override readonly name: string = 'InvalidInput';
  readonly code: string = 'invalid_input';
  constructor(
    readonly issues: readonly FieldIssue[],
    message = `invalid input: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
  ) {
    super(message);
  }
}

/** The caller's role does not reach this action on this thing (an unmanaged droplet, an admin-only definition). */
export class Forbidden extends ExpectedError {
  override readonly name: string = 'Forbidden';
  readonly code: string = 'forbidden';
  override readonly details: { readonly requiredRole: Role };
  constructor(message: string, requiredRole: Role) {
    super(message);
    this.details = { requiredRole };
  }
}

export class NotFound extends ExpectedError {
  override readonly name: string = 'NotFound';
  readonly code: string = 'not_found';
}

export class Conflict extends ExpectedError {
  override readonly name: string = 'Conflict';
  readonly code: string = 'conflict';
}

export class NotAllowed extends ExpectedError {
  override readonly name: string = 'NotAllowed';
  readonly code: string = 'not_allowed';
}

/** The caller's precondition (an `If-Match` version) no longer holds: someone changed it first. */
export class PreconditionFailed extends ExpectedError {
  override readonly name: string = 'PreconditionFailed';
  readonly code: string = 'precondition_failed';
}
