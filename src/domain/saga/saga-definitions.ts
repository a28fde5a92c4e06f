import { z } from 'zod';
import { type Role, roleAtLeast } from '../access/roles.js';
import { type FieldIssue, Forbidden, InvalidInput, NotFound, toFieldIssues } from '../errors.js';
import type { AnySagaStep } from './saga-step.js';

/** A saga definition: a name, a version and its ordered steps (fixed, or chosen from the inputs). */
export interface SagaDefinition {
  readonly name: string;
  readonly version: number;
  readonly description?: string;
  /** The saga inputs; a start with inputs that do not fit is refused before anything is written. */
  readonly inputs: z.ZodType<Record<string, unknown>>;
  readonly steps: readonly AnySagaStep[] | ((inputs: Record<string, unknown>) => readonly AnySagaStep[]);
  /**
   * The least role that may start it with `POST /api/v1/sagas`. Absent: an internal definition,
   * started only through its own route (a drift revert), whose inputs that route derives itself.
   */
  readonly startableBy?: Role;
}

/** Who asks to start a saga through the generic route: the definition must allow their role. */
export interface StartCaller {
  readonly role: Role;
}

export class SagaDefinitionNotFound extends NotFound {
  override readonly name = 'SagaDefinitionNotFound';
  override readonly code = 'saga_definition_not_found';
}

export const sagaStartSchema = z.strictObject({
  kind: z.string().trim().min(1).max(64),
  definition: z.string().min(1).max(128),
  version: z.number().int().min(1).optional(),
  inputs: z.record(z.string(), z.unknown()).default({}),
  deploymentId: z.string().min(1).max(128).optional(),
});
export type SagaStartRequest = z.input<typeof sagaStartSchema>;

export interface ResolvedStart {
  readonly kind: string;
  readonly definition: SagaDefinition;
  readonly inputs: Record<string, unknown>;
  readonly steps: readonly AnySagaStep[];
  readonly deploymentId: string | null;
}

function validateSteps(definition: SagaDefinition, steps: readonly AnySagaStep[]): FieldIssue[] {
  if (steps.length === 0) return [{ path: 'inputs', message: `definition ${definition.name} yields no steps for these inputs` }];
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.name)) return [{ path: 'definition', message: `step names must be unique; ${step.name} appears twice` }];
    seen.add(step.name);
  }
  return [];
}

/** The definitions a process knows, by name and version. */
export class SagaDefinitions {
  private readonly byKey = new Map<string, SagaDefinition>();

  constructor(definitions: readonly SagaDefinition[]) {
    for (const def of definitions) {
      const key = `${def.name}@${def.version}`;
      if (this.byKey.has(key)) throw new Error(`saga definition ${key} is defined twice`);
      if (Array.isArray(def.steps)) {
        const issues = validateSteps(def, def.steps);
        if (issues.length > 0) throw new Error(`saga definition ${key}: ${issues[0]!.message}`);
      }
      this.byKey.set(key, def);
    }
  }

  list(): SagaDefinition[] {
    return [...this.byKey.values()];
  }

  /** The given version, or the latest when none is given. */
  find(name: string, version?: number): SagaDefinition | undefined {
    if (version !== undefined) return this.byKey.get(`${name}@${version}`);
    return this.list()
      .filter((d) => d.name === name)
      .sort((a, b) => b.version - a.version)[0];
  }

  /** The steps a started saga runs: the definition's, for the inputs it was started with. */
  stepsOf(name: string, version: number, inputs: Record<string, unknown>): readonly AnySagaStep[] {
    const def = this.find(name, version);
    if (!def) throw new SagaDefinitionNotFound(`no saga definition ${name} version ${version}`);
    return typeof def.steps === 'function' ? def.steps(inputs) : def.steps;
  }

  /**
   * Checks a start request; InvalidInput with one issue per field when it does not fit. With a
   * caller (the generic route), only definitions startable by the caller's role are known: an
   * internal one reads as unknown, one needing a higher role is Forbidden.
   */
  resolveStart(request: unknown, caller?: StartCaller): ResolvedStart {
    const parsed = sagaStartSchema.safeParse(request);
    if (!parsed.success) throw new InvalidInput(toFieldIssues(parsed.error));
    const { kind, definition: name, version, inputs, deploymentId } = parsed.data;
    const definition = this.find(name, version);
    if (!definition || (caller && definition.startableBy === undefined)) {
      const startable = this.list().filter((d) => caller === undefined || (d.startableBy !== undefined && roleAtLeast(caller.role, d.startableBy)));
      const known = [...new Set(startable.map((d) => d.name))].sort().join(', ') || 'none';
      throw new InvalidInput([{ path: 'definition', message: `unknown saga definition ${name}${version ? ` version ${version}` : ''} (yours to start: ${known})` }]);
    }
    if (caller && definition.startableBy !== undefined && !roleAtLeast(caller.role, definition.startableBy)) {
      throw new Forbidden(`saga definition ${name} needs the ${definition.startableBy} role to start`, definition.startableBy);
    }
    const checked = definition.inputs.safeParse(inputs);
    if (!checked.success) throw new InvalidInput(toFieldIssues(checked.error).map((i) => ({ ...i, path: i.path ? `inputs.${i.path}` : 'inputs' })));
    const steps = typeof definition.steps === 'function' ? definition.steps(checked.data) : definition.steps;
    const issues = validateSteps(definition, steps);
    if (issues.length > 0) throw new InvalidInput(issues);
    return { kind, definition, inputs: checked.data, steps, deploymentId: deploymentId ?? null };
  }
}
