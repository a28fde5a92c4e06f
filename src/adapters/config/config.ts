import { validateCronExpression } from 'cron';
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
  /** The read-only token the inventory sync lists with; absent: the provisioning token. */
  readonly digitalOceanSyncToken: string | undefined;
  /** wait_droplet_active: seconds between polls, and how many polls before it gives up. */
  readonly dropletActivePollSeconds: number;
  readonly dropletActiveMaxPolls: number;
  /** Seconds between polls of a droplet action (snapshot, power, resize). */
  readonly dropletActionPollSeconds: number;
  /** Cron expressions (with seconds) of the inventory sync and the drift detection. */
  readonly inventorySyncCron: string;
  readonly driftDetectCron: string;
  readonly projectionBatchSize: number;
  /** /health/ready reports unready when a projection lags further behind than this. */
  readonly readyMaxLagSeconds: number;
  /** Request bodies larger than this answer 413. */
  readonly bodyLimitBytes: number;
  /** Requests per minute per API token; more answer 429. */
  readonly rateLimitPerMinute: number;
  /** Requests per minute per client address, counted before authentication; more answer 429. */
  readonly rateLimitPerAddressPerMinute: number;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client address. */
  readonly trustProxy: boolean | number | string;
  /** Whether the demo and test saga definitions (`script`, `noop`) are registered. */
  readonly sagaDemoDefinitions: boolean;
  /** When set, /metrics is also served without a token on this port (for a scraper inside the network). */
  readonly metricsPort: number | undefined;
  /** The first platform_admin token, when there is no token yet; absent: one is generated and printed once. */
  readonly bootstrapToken: string | undefined;
  /** Saga workers in this process (0: this instance runs no saga steps). */
  readonly sagaWorkers: number;
  /** How long a worker's claim on a saga holds before another worker may take it over. */
  readonly sagaLeaseSeconds: number;
  /** Where IaC state records and locks live: the event store, or an S3-compatible bucket. */
  readonly iacState:
    | { readonly backend: 'event-sourced' }
    | {
        readonly backend: 's3';
        readonly s3: {
          readonly bucket: string;
          readonly endpoint: string;
          readonly region: string;
          readonly accessKeyId: string | undefined;
          readonly secretAccessKey: string | undefined;
          readonly prefix: string;
          readonly forcePathStyle: boolean;
          readonly locking: boolean;
        };
      };
}

export const CONFIG_DEFAULTS = {
  DATA_DIR: './.data',
  EVENT_STORE: 'postgres',
  PORT: 3000,
  HOST: '0.0.0.0',
  LOG_LEVEL: 'info',
  NODE_ENV: 'development',
  DIGITALOCEAN_API_URL: 'https://api.digitalocean.com',
  DROPLET_ACTIVE_POLL_SECONDS: 5,
  DROPLET_ACTIVE_MAX_POLLS: 96,
  DROPLET_ACTION_POLL_SECONDS: 5,
  INVENTORY_SYNC_CRON: '0 0,15,30,45 * * * *',
  DRIFT_DETECT_CRON: '0 20 * * * *',
  PROJECTION_BATCH_SIZE: 500,
  READY_MAX_LAG_SECONDS: 30,
  BODY_LIMIT_BYTES: 1_048_576,
  RATE_LIMIT_PER_MINUTE: 600,
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: 600,
  SAGA_WORKERS: 4,
  SAGA_LEASE_SECONDS: 30,
  IAC_STATE_BACKEND: 'event-sourced',
  IAC_S3_ENDPOINT: 'https://nyc3.digitaloceanspaces.com',
  IAC_S3_REGION: 'us-east-1',
  IAC_S3_PREFIX: 'iac-state/',
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
  { name: 'PORT', default: String(CONFIG_DEFAULTS.PORT), description: 'HTTP port, 0–65535 (0: any free port; the log says which).' },
  { name: 'HOST', default: CONFIG_DEFAULTS.HOST, description: 'Address the HTTP server binds to.' },
  { name: 'LOG_LEVEL', default: CONFIG_DEFAULTS.LOG_LEVEL, description: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { name: 'NODE_ENV', default: CONFIG_DEFAULTS.NODE_ENV, description: `${NODE_ENVS.join(', ')}.` },
  {
    name: 'DIGITALOCEAN_TOKEN',
    default: 'unset: the simulator',
    description: 'DigitalOcean API token for provisioning (read and write). Unset: `npm start` runs the DigitalOcean simulator in-process and uses it (the log says so), or, with `DIGITALOCEAN_API_URL` set, talks to that URL (a standalone simulator) without a token. Never logged.',
  },
  {
    name: 'DIGITALOCEAN_SYNC_TOKEN',
    default: 'unset: DIGITALOCEAN_TOKEN',
    description: 'A read-only DigitalOcean token for the inventory sync (rate limits are per token). Never logged.',
  },
  {
    name: 'DROPLET_ACTIVE_POLL_SECONDS',
    default: String(CONFIG_DEFAULTS.DROPLET_ACTIVE_POLL_SECONDS),
    description: 'How often a provisioning saga looks whether its new droplet is active (through the timer queue: no worker waits).',
  },
  {
    name: 'DROPLET_ACTIVE_MAX_POLLS',
    default: String(CONFIG_DEFAULTS.DROPLET_ACTIVE_MAX_POLLS),
    description: 'How many of those looks before the provisioning fails and rolls back (96 × 5 s: 8 minutes).',
  },
  {
    name: 'DROPLET_ACTION_POLL_SECONDS',
    default: String(CONFIG_DEFAULTS.DROPLET_ACTION_POLL_SECONDS),
    description: 'How often a saga looks whether a droplet action (snapshot, power off/on, resize) has finished, and whether a finished snapshot shows in the listing yet; the saga gives up on an action after 120 looks.',
  },
  {
    name: 'INVENTORY_SYNC_CRON',
    default: CONFIG_DEFAULTS.INVENTORY_SYNC_CRON,
    description: 'When the inventory sync lists every droplet (cron with seconds; default every 15 minutes at :00/:15/:30/:45). `off` disables it; `POST /api/v1/inventory/sync` runs it now.',
  },
  {
    name: 'DRIFT_DETECT_CRON',
    default: CONFIG_DEFAULTS.DRIFT_DETECT_CRON,
    description: 'When drift detection runs (cron with seconds; default :20 past the hour, after the syncs). `off` disables it; `POST /api/v1/drift/detect` runs it now.',
  },
  {
    name: 'DIGITALOCEAN_API_URL',
    default: CONFIG_DEFAULTS.DIGITALOCEAN_API_URL,
    description: 'Base URL of the DigitalOcean API (`http://` or `https://`), e.g. a standalone simulator. With `NODE_ENV=production`, either this or `DIGITALOCEAN_TOKEN` must be set: production never falls back to the simulator.',
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
  {
    name: 'BODY_LIMIT_BYTES',
    default: String(CONFIG_DEFAULTS.BODY_LIMIT_BYTES),
    description: 'Largest request body accepted; a larger one answers 413.',
  },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    default: String(CONFIG_DEFAULTS.RATE_LIMIT_PER_MINUTE),
    description: 'Requests per minute per API token; more answer 429.',
  },
  {
    name: 'RATE_LIMIT_PER_ADDRESS_PER_MINUTE',
    default: String(CONFIG_DEFAULTS.RATE_LIMIT_PER_ADDRESS_PER_MINUTE),
    description: 'Requests per minute per client address, counted before authentication (requests with a bad or no token count too); more answer 429 with `retry-after`. Health checks are not counted.',
  },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    description: "Express's `trust proxy`: `false` (the client address is the connection's peer), `true`, a number of proxy hops, or addresses/subnets (`loopback, 10.0.0.0/8`) whose `X-Forwarded-For` is believed. Set it behind a load balancer, or every client shares the balancer's address limit.",
  },
  {
    name: 'SAGA_DEMO_DEFINITIONS',
    default: 'unset: true on the embedded database, else false',
    description: 'Registers the demo and test saga definitions (`script`, `noop`), which anyone with the operator role may start. Off in a real deployment unless set to `true`.',
  },
  {
    name: 'METRICS_PORT',
    default: 'unset',
    description: 'When set, `/metrics` is also served without a token on this port, for a scraper on a private network. `/metrics` on `PORT` always needs a viewer token.',
  },
  {
    name: 'BOOTSTRAP_TOKEN',
    default: 'unset: generated',
    description: 'At the first start (no API token exists yet) this becomes the `platform_admin` token named `bootstrap`; unset, one is generated and printed once. At least 24 characters. Never logged.',
  },
  {
    name: 'SAGA_WORKERS',
    default: String(CONFIG_DEFAULTS.SAGA_WORKERS),
    description: 'Saga workers in this process; scale out with more processes. 0: this instance serves the API but runs no saga steps.',
  },
  {
    name: 'SAGA_LEASE_SECONDS',
    default: String(CONFIG_DEFAULTS.SAGA_LEASE_SECONDS),
    description: "How long a worker's claim on a saga holds: a crashed worker's saga is picked up by another after this. Longer than the slowest step's timeout.",
  },
  {
    name: 'IAC_STATE_BACKEND',
    default: CONFIG_DEFAULTS.IAC_STATE_BACKEND,
    description: 'Where IaC state lives: `event-sourced` (the event store, with full history) or `s3` (an S3-compatible bucket such as DigitalOcean Spaces).',
  },
  { name: 'IAC_S3_BUCKET', default: 'unset', description: 'The bucket; required when `IAC_STATE_BACKEND=s3`.' },
  { name: 'IAC_S3_ENDPOINT', default: CONFIG_DEFAULTS.IAC_S3_ENDPOINT, description: 'S3 endpoint URL (DigitalOcean Spaces by default).' },
  { name: 'IAC_S3_REGION', default: CONFIG_DEFAULTS.IAC_S3_REGION, description: 'Region used in request signatures.' },
  { name: 'IAC_S3_ACCESS_KEY_ID', default: 'unset: SDK default chain', description: 'Access key id; with the secret below, or neither (the AWS SDK default credential chain).' },
  { name: 'IAC_S3_SECRET_ACCESS_KEY', default: 'unset', description: 'Secret access key. Never logged.' },
  { name: 'IAC_S3_PREFIX', default: CONFIG_DEFAULTS.IAC_S3_PREFIX, description: 'Key prefix of the state and lock objects.' },
  { name: 'IAC_S3_FORCE_PATH_STYLE', default: 'false', description: '`true` for `https://host/bucket/key` addressing (most self-hosted S3 servers).' },
  {
    name: 'IAC_S3_LOCKING',
    default: 'true',
    description: '`false` is the explicit opt-out for a server that ignores conditional writes: the service then starts, and lock calls answer 422 instead of pretending. With `true`, such a server is refused at start.',
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

function boolean(raw: string): Parsed<boolean> {
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return { ok: true, value: true };
  if (value === 'false' || value === '0') return { ok: true, value: false };
  return { ok: false, message: `must be true or false, got ${shown(raw)}` };
}

function hostName(raw: string): Parsed<string> {
  return /^[A-Za-z0-9.:[\]%_-]+$/.test(raw)
    ? { ok: true, value: raw }
    : { ok: false, message: `must be a host name or an IP address, got ${shown(raw)}` };
}

/** What Express's `trust proxy` takes: true/false, a hop count, or addresses and subnets. */
function trustProxy(raw: string): Parsed<boolean | number | string> {
  const flag = boolean(raw);
  if (flag.ok) return flag;
  if (/^\d{1,2}$/.test(raw)) return { ok: true, value: Number(raw) };
  const parts = raw.split(',').map((p) => p.trim());
  return parts.every((p) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p))
    ? { ok: true, value: parts.join(',') }
    : { ok: false, message: `must be true, false, a number of hops, or addresses/subnets separated by commas, got ${shown(raw)}` };
}

/** Six cron fields (seconds first), as @nestjs/schedule takes them, or `off`. */
function cronOrOff(raw: string): Parsed<string> {
  const value = raw.trim();
  if (value === 'off') return { ok: true, value };
  const checked = /^(\S+\s+){5}\S+$/.test(value) ? validateCronExpression(value) : { valid: false, error: undefined };
  return checked.valid
    ? { ok: true, value }
    : {
        ok: false,
        message: `must be a cron expression with six fields (seconds first, e.g. "0 20 * * * *") or off, got ${shown(raw)}${checked.error ? ` (${checked.error.message})` : ''}`,
      };
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
    PORT: variable(integer(0, 65535, 'an integer between 0 and 65535'), CONFIG_DEFAULTS.PORT),
    HOST: variable(hostName, CONFIG_DEFAULTS.HOST),
    LOG_LEVEL: variable(oneOf(LOG_LEVELS), CONFIG_DEFAULTS.LOG_LEVEL),
    NODE_ENV: variable(oneOf(NODE_ENVS), CONFIG_DEFAULTS.NODE_ENV),
    DIGITALOCEAN_TOKEN: variable(secretToken),
    // no fallback here: whether it was set decides whether production may start without a token
    DIGITALOCEAN_API_URL: variable(url(['http:', 'https:'], 'an http:// or https:// URL')),
    DIGITALOCEAN_SYNC_TOKEN: variable(secretToken),
    DROPLET_ACTIVE_POLL_SECONDS: variable(positiveNumber, CONFIG_DEFAULTS.DROPLET_ACTIVE_POLL_SECONDS),
    DROPLET_ACTIVE_MAX_POLLS: variable(integer(1, 100_000, 'an integer between 1 and 100000'), CONFIG_DEFAULTS.DROPLET_ACTIVE_MAX_POLLS),
    DROPLET_ACTION_POLL_SECONDS: variable(positiveNumber, CONFIG_DEFAULTS.DROPLET_ACTION_POLL_SECONDS),
    INVENTORY_SYNC_CRON: variable(cronOrOff, CONFIG_DEFAULTS.INVENTORY_SYNC_CRON),
    DRIFT_DETECT_CRON: variable(cronOrOff, CONFIG_DEFAULTS.DRIFT_DETECT_CRON),
    PROJECTION_BATCH_SIZE: variable(
      integer(1, Number.MAX_SAFE_INTEGER, 'an integer of at least 1'),
      CONFIG_DEFAULTS.PROJECTION_BATCH_SIZE,
    ),
    READY_MAX_LAG_SECONDS: variable(positiveNumber, CONFIG_DEFAULTS.READY_MAX_LAG_SECONDS),
    BODY_LIMIT_BYTES: variable(integer(1024, 1_073_741_824, 'a number of bytes between 1024 and 1073741824'), CONFIG_DEFAULTS.BODY_LIMIT_BYTES),
    RATE_LIMIT_PER_MINUTE: variable(integer(1, 1_000_000, 'an integer between 1 and 1000000'), CONFIG_DEFAULTS.RATE_LIMIT_PER_MINUTE),
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: variable(
      integer(1, 1_000_000, 'an integer between 1 and 1000000'),
      CONFIG_DEFAULTS.RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
    ),
    TRUST_PROXY: variable(trustProxy, false),
    SAGA_DEMO_DEFINITIONS: variable(boolean),
    METRICS_PORT: variable(integer(0, 65535, 'an integer between 0 and 65535')),
    SAGA_WORKERS: variable(integer(0, 64, 'an integer between 0 and 64'), CONFIG_DEFAULTS.SAGA_WORKERS),
    SAGA_LEASE_SECONDS: variable(integer(1, 86_400, 'a number of seconds between 1 and 86400'), CONFIG_DEFAULTS.SAGA_LEASE_SECONDS),
    IAC_STATE_BACKEND: variable(oneOf(['event-sourced', 's3'] as const), CONFIG_DEFAULTS.IAC_STATE_BACKEND),
    IAC_S3_BUCKET: variable((raw) => ({ ok: true, value: raw })),
    IAC_S3_ENDPOINT: variable(url(['http:', 'https:'], 'an http:// or https:// URL'), CONFIG_DEFAULTS.IAC_S3_ENDPOINT),
    IAC_S3_REGION: variable(hostName, CONFIG_DEFAULTS.IAC_S3_REGION),
    IAC_S3_ACCESS_KEY_ID: variable(secretToken),
    IAC_S3_SECRET_ACCESS_KEY: variable(secretToken),
    IAC_S3_PREFIX: variable((raw) => ({ ok: true, value: raw }), CONFIG_DEFAULTS.IAC_S3_PREFIX),
    IAC_S3_FORCE_PATH_STYLE: variable(boolean, false),
    IAC_S3_LOCKING: variable(boolean, true),
    BOOTSTRAP_TOKEN: variable((raw) =>
      raw.length >= 24 && !/\s/.test(raw) ? { ok: true, value: raw } : { ok: false, message: 'must be at least 24 characters without whitespace' },
    ),
  })
  .superRefine(
    (env, ctx) => {
      if (env.EVENT_STORE === 'kurrentdb' && env.KURRENTDB_URL === undefined) {
        ctx.addIssue({ code: 'custom', path: ['KURRENTDB_URL'], message: 'is required when EVENT_STORE=kurrentdb' });
      }
      if (env.NODE_ENV === 'production' && env.DIGITALOCEAN_TOKEN === undefined && env.DIGITALOCEAN_API_URL === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['DIGITALOCEAN_TOKEN'],
          message: 'is required when NODE_ENV=production (or set DIGITALOCEAN_API_URL to a simulator on purpose): production never falls back to the built-in simulator',
        });
      }
      if (env.IAC_STATE_BACKEND === 's3' && env.IAC_S3_BUCKET === undefined) {
        ctx.addIssue({ code: 'custom', path: ['IAC_S3_BUCKET'], message: 'is required when IAC_STATE_BACKEND=s3' });
      }
      if ((env.IAC_S3_ACCESS_KEY_ID === undefined) !== (env.IAC_S3_SECRET_ACCESS_KEY === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['IAC_S3_SECRET_ACCESS_KEY'], message: 'IAC_S3_ACCESS_KEY_ID and IAC_S3_SECRET_ACCESS_KEY go together: set both or neither' });
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
    digitalOceanApiUrl: e.DIGITALOCEAN_API_URL ?? CONFIG_DEFAULTS.DIGITALOCEAN_API_URL,
    digitalOceanSyncToken: e.DIGITALOCEAN_SYNC_TOKEN,
    dropletActivePollSeconds: e.DROPLET_ACTIVE_POLL_SECONDS,
    dropletActiveMaxPolls: e.DROPLET_ACTIVE_MAX_POLLS,
    dropletActionPollSeconds: e.DROPLET_ACTION_POLL_SECONDS,
    inventorySyncCron: e.INVENTORY_SYNC_CRON,
    driftDetectCron: e.DRIFT_DETECT_CRON,
    projectionBatchSize: e.PROJECTION_BATCH_SIZE,
    readyMaxLagSeconds: e.READY_MAX_LAG_SECONDS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitPerAddressPerMinute: e.RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    sagaDemoDefinitions: e.SAGA_DEMO_DEFINITIONS ?? e.DATABASE_URL === undefined,
    metricsPort: e.METRICS_PORT,
    bootstrapToken: e.BOOTSTRAP_TOKEN,
    sagaWorkers: e.SAGA_WORKERS,
    sagaLeaseSeconds: e.SAGA_LEASE_SECONDS,
    iacState:
      e.IAC_STATE_BACKEND === 's3'
        ? {
            backend: 's3' as const,
            s3: {
              bucket: e.IAC_S3_BUCKET!,
              endpoint: e.IAC_S3_ENDPOINT,
              region: e.IAC_S3_REGION,
              accessKeyId: e.IAC_S3_ACCESS_KEY_ID,
              secretAccessKey: e.IAC_S3_SECRET_ACCESS_KEY,
              prefix: e.IAC_S3_PREFIX,
              forcePathStyle: e.IAC_S3_FORCE_PATH_STYLE,
              locking: e.IAC_S3_LOCKING,
            },
          }
        : { backend: 'event-sourced' as const },
  });
}
