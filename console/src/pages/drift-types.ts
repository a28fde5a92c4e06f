export interface Drift {
  readonly id: string;
  readonly resourceId: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly status: string;
  readonly detectedAt: string;
  readonly resolvedAt: string | null;
  readonly policyId: string | null;
  readonly ignoredUntil: string | null;
}

export interface DriftGroup {
  readonly groupId: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly count: number;
  readonly oldestDetectedAt: string;
  readonly newestDetectedAt: string;
}

export interface GroupItem {
  readonly driftId: string;
  readonly resourceId: string;
  readonly outcome?: 'succeeded' | 'failed';
  readonly error?: { code: string; message: string } | string;
}

export interface GroupAnswer {
  readonly groupId: string;
  readonly action: string;
  readonly dryRun: boolean;
  readonly items: GroupItem[];
  readonly succeeded?: number;
  readonly failed?: number;
  readonly limit: number;
  readonly more: boolean;
}

export interface IgnoreFields {
  owner: string;
  reason: string;
  /** datetime-local value */
  expires: string;
}
