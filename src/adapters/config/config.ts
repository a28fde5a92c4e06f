import { z } from 'zod';

/**
 * Start-up configuration from environment variables (DESIGN.md, "Configuration"). Every variable is
 * checked at once, and a bad start lists each bad variable on its own line as `NAME: message`.
 * Values of secrets and URLs (which may carry credentials) never appear in a message.
 * An empty or blank variable counts as unset.
 */

export const EVENT_STORES = ['postgres', 'kurrentdb'] as const;
export type EventStoreKind = (typeof EVENT_STORES)[number];

/** pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export interface AppConfig {
  /** Absent: the embedded PGlite database under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly eventStore: EventStoreKind;
  /** Set whenever `eventStore` is `kurrentdb`. */
  readonly kurrentdbUrl: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly nodeEnv: NodeEnv;
  /** Absent: the in-process DigitalOcean simulator. */
  readonly digitalOceanToken: string | undefined;
  readonly digitalOceanApiUrl: string;
  readonly projectionBatchSize: number;
  /** /health/ready reports unready when a projection lags further behind than this. */
  readonly readyMaxLagSeconds: number;
}

export const CONFIG_DEFAULTS = {
  DATA_DIR: './.data',
  EVENT_STORE: 'postgres',
  PORT: 3000,
  HOST: '0.0.0.0',
  LOG_LEVEL: 'info',
  NODE_ENV: 'development',
  DIGITALOCEAN_API_URL: 'https://api.digitalocean.com',
  PROJECTION_BATCH_SIZE: 500,
  READY_MAX_LAG_SECONDS: 30,
} as const satisfies Record<string, string | number>;

export interface ConfigVariableDoc {
  readonly name: string;
  /** What applies when the variable is unset, as a README table shows it. */
  readonly default: string;
  readonly description: string;
}

/** One row per variable, in the order the README table lists them. */
export const CONFIG_DOCS: readonly ConfigVariableDoc[] = Object.freeze([
  {
    name: 'DATABASE_URL',
    default: 'unset: embedded PGlite',
    description:
      'PostgreSQL connection string (`postgres://` or `postgresql://`) for the read models and the PostgreSQL event store. Unset, the service starts an embedded PGlite database under `DATA_DIR` — for first runs and demos, not production.',
  },
  {
    name: 'DATA_DIR',
    default: CONFIG_DEFAULTS.DATA_DIR,
    description: 'Where the embedded database keeps its files when `DATABASE_URL` is unset.',
  },
  {
    name: 'EVENT_STORE',
    default: CONFIG_DEFAULTS.EVENT_STORE,
    description: '`postgres` (built in, uses the database above) or `kurrentdb` (needs `KURRENTDB_URL`).',
  },
  {
    name: 'KURRENTDB_URL',
    default: 'unset',
    description: 'KurrentDB connection string, e.g. `kurrentdb://localhost:2113?tls=false`. Required when `EVENT_STORE=kurrentdb`.',
  },
  { name: 'PORT', default: String(CONFIG_DEFAULTS.PORT), description: 'HTTP port, 1–65535.' },
  { name: 'HOST', default: CONFIG_DEFAULTS.HOST, description: 'Address the HTTP server binds to.' },
  { name: 'LOG_LEVEL', default: CONFIG_DEFAULTS.LOG_LEVEL, description: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { name: 'NODE_ENV', default: CONFIG_DEFAULTS.NODE_ENV, description: `${NODE_ENVS.join(', ')}.` },
  {
    name: 'DIGITALOCEAN_TOKEN',
    default: 'unset: in-process simulator',
    description: 'DigitalOcean API token. Unset, the service talks to its built-in DigitalOcean simulator. Never logged.',
  },
  {
    name: 'DIGITALOCEAN_API_URL',
    default: CONFIG_DEFAULTS.DIGITALOCEAN_API_URL,
    description: 'Base URL of the DigitalOcean API (`http://` or `https://`), e.g. a standalone simulator.',
  },
  {
    name: 'PROJECTION_BATCH_SIZE',
    default: String(CONFIG_DEFAULTS.PROJECTION_BATCH_SIZE),
    description: 'Events a projection applies per transaction; an integer of at least 1.',
  },
  {
    name: 'READY_MAX_LAG_SECONDS',
    default: String(CONFIG_DEFAULTS.READY_MAX_LAG_SECONDS),
    description: '`/health/ready` reports unready while a projection lags further behind than this many seconds.',
  },
]);

/** The README table, generated from CONFIG_DOCS. */
export function configDocsMarkdown(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    '| variable | default | what |',
    '| --- | --- | --- |',
    ...CONFIG_DOCS.map((doc) => `| \`${doc.name}\` | ${cell(doc.default)} | ${cell(doc.description)} |`),
  ].join('\n');
}

export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map((issue) => `${issue.variable}: ${issue.message}`).join('\n'));
  }
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * One environment variable: unset or blank takes `fallback`; anything else goes through `parse`,
 * whose message becomes the variable's line in the error.
 */
function variable<T>(parse: (raw: string) => Parsed<T>): z.ZodType<T | undefined, string | undefined>;
function variable<T>(parse: (raw: string) => Parsed<T>, fallback: T): z.ZodType<T, string | undefined>;
function variable<T>(parse: (raw: string) => Parsed<T>, fallback?: T): z.ZodType<T | undefined, string | undefined> {
  return z
    .string()
    .optional()
    .transform((input, ctx) => {
      const raw = input?.trim();
      if (!raw) return fallback;
      const parsed = parse(raw);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    });
}

/** Quotes a non-secret value for a message, shortened so a stray blob cannot flood the log. */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function integer(min: number, max: number, describe: string): (raw: string) => Parsed<number> {
  return (raw) => {
    const value = Number(raw);
    return /^[+-]?\d+$/.test(raw) && Number.isSafeInteger(value) && value >= min && value <= max
      ? { ok: true, value }
      : { ok: false, message: `must be ${describe}, got ${shown(raw)}` };
  };
}

function oneOf<const T extends readonly string[]>(values: T): (raw: string) => Parsed<T[number]> {
  return (raw) =>
    (values as readonly string[]).includes(raw)
      ? { ok: true, value: raw as T[number] }
      : { ok: false, message: `must be ${values.length === 2 ? `"${values[0]}" or "${values[1]}"` : `one of ${values.join(', ')}`}, got ${shown(raw)}` };
}

/** Never echoes the value: a URL may carry a password. */
function url(protocols: readonly string[], describe: string): (raw: string) => Parsed<string> {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return { ok: false, message: 'is not a valid URL' };
    }
    if (!protocols.includes(parsed.protocol)) return { ok: false, message: `must be ${describe}` };
    if (!parsed.hostname && !parsed.searchParams.has('host')) return { ok: false, message: 'has no host' };
    return { ok: true, value: raw };
  };
}

const KURRENTDB_SCHEMES = ['kurrentdb', 'kurrent', 'kdb', 'esdb'].flatMap((scheme) => [scheme, `${scheme}+discover`]);

/** The client parses these itself (hosts may be a comma-separated list); here: scheme and a host. */
function kurrentdbUrl(raw: string): Parsed<string> {
  const match = /^([a-z+]+):\/\/(.*)$/i.exec(raw);
  if (!match) return { ok: false, message: 'is not a valid URL' };
  if (!KURRENTDB_SCHEMES.includes(match[1]!.toLowerCase())) {
    return { ok: false, message: 'must be a kurrentdb:// (or kurrentdb+discover://, kurrent://, kdb://, esdb://) connection string' };
  }
  const hosts = match[2]!.replace(/^[^@/?]*@/, '').split(/[/?]/)[0];
  return hosts ? { ok: true, value: raw } : { ok: false, message: 'has no host' };
}

function secretToken(raw: string): Parsed<string> {
  return /\s/.test(raw) ? { ok: false, message: 'must not contain whitespace' } : { ok: true, value: raw };
}

function hostName(raw: string): Parsed<string> {
  return /^[A-Za-z0-9.:[\]%_-]+$/.test(raw)
    ? { ok: true, value: raw }
    : { ok: false, message: `must be a host name or an IP address, got ${shown(raw)}` };
}

function positiveNumber(raw: string): Parsed<number> {
  const value = Number(raw);
  return /^\d+(\.\d+)?$/.test(raw) && value > 0
    ? { ok: true, value }
    : { ok: false, message: `must be a number of seconds greater than 0, got ${shown(raw)}` };
}

export const configSchema = z
  .object({
    DATABASE_URL: variable(url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL')),
    DATA_DIR: variable((raw) => ({ ok: true, value: raw }), CONFIG_DEFAULTS.DATA_DIR),
    EVENT_STORE: variable(oneOf(EVENT_STORES), CONFIG_DEFAULTS.EVENT_STORE),
    KURRENTDB_URL: variable(kurrentdbUrl),
    PORT: variable(integer(1, 65535, 'an integer between 1 and 65535'), CONFIG_DEFAULTS.PORT),
    HOST: variable(hostName, CONFIG_DEFAULTS.HOST),
    LOG_LEVEL: variable(oneOf(LOG_LEVELS), CONFIG_DEFAULTS.LOG_LEVEL),
    NODE_ENV: variable(oneOf(NODE_ENVS), CONFIG_DEFAULTS.NODE_ENV),
    DIGITALOCEAN_TOKEN: variable(secretToken),
    DIGITALOCEAN_API_URL: variable(url(['http:', 'https:'], 'an http:// or https:// URL'), CONFIG_DEFAULTS.DIGITALOCEAN_API_URL),
    PROJECTION_BATCH_SIZE: variable(
      integer(1, Number.MAX_SAFE_INTEGER, 'an integer of at least 1'),
      CONFIG_DEFAULTS.PROJECTION_BATCH_SIZE,
    ),
    READY_MAX_LAG_SECONDS: variable(positiveNumber, CONFIG_DEFAULTS.READY_MAX_LAG_SECONDS),
  })
  .superRefine(
    (env, ctx) => {
      if (env.EVENT_STORE === 'kurrentdb' && env.KURRENTDB_URL === undefined) {
        ctx.addIssue({ code: 'custom', path: ['KURRENTDB_URL'], message: 'is required when EVENT_STORE=kurrentdb' });
      }
    },
    // run even when other variables are bad, so one start-up lists every problem
    { when: () => true },
  );

/** Reads and checks the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const names = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];
  const input = Object.fromEntries(names.map((name) => [name, env[name]]));
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const order = (variable: string): number => CONFIG_DOCS.findIndex((doc) => doc.name === variable);
    const issues = result.error.issues
      .map((issue) => ({ variable: String(issue.path[0] ?? 'environment'), message: issue.message }))
      .sort((a, b) => order(a.variable) - order(b.variable));
    throw new ConfigError(issues);
  }
  const e = result.data;
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    eventStore: e.EVENT_STORE,
    kurrentdbUrl: e.KURRENTDB_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    nodeEnv: e.NODE_ENV,
    digitalOceanToken: e.DIGITALOCEAN_TOKEN,
    digitalOceanApiUrl: e.DIGITALOCEAN_API_URL,
    projectionBatchSize: e.PROJECTION_BATCH_SIZE,
    readyMaxLagSeconds: e.READY_MAX_LAG_SECONDS,
  });
}
