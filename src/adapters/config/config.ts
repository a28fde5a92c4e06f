import { z } from 'zod';
import {
  boolean,
  cronOrOff,
  hostName,
  integer,
  kurrentdbUrl,
  longSecretToken,
  oneOf,
  positiveSeconds,
  secretToken,
  text,
  trustProxy,
  url,
  type VariableParser,
} from './variable-parsers.js';

/** Under load, about a third of the projections' transactions, for read models at most 25 ms later. */
export const DEFAULT_PROJECTION_LINGER_MS = 25;

/**
 * Start-up configuration from environment variables (DESIGN.md, "Configuration"). Each variable is
 * declared once, in CONFIG_VARIABLES: its AppConfig key, parser (with its message), default, what
 * applies when it is unset, description and whether it is a secret. The AppConfig type, the
 * defaults, the validation and the README table are all derived from that one declaration.
 * Every variable is checked at once, and a bad start lists each bad variable on its own line as
 * `NAME: message`. An empty or blank variable counts as unset.
 */

export const EVENT_STORES = ['postgres', 'kurrentdb'] as const;
export type EventStoreKind = (typeof EVENT_STORES)[number];

/** pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Values by variable name, as a computed default sees them: parsed, with the fixed defaults applied. */
type Values = Readonly<Record<string, unknown>>;

interface VariableOptions<T> {
  /** The value when unset: a fixed one, or one computed from the other variables (say which in `whenUnset`). */
  readonly default?: T | ((values: Values) => T);
  /** What applies when it is unset, as the README shows it after `unset: `; a fixed default shows itself. */
  readonly whenUnset?: string;
  readonly description: string;
  /** Never logged, never echoed in a message; the README says so. */
  readonly secret?: boolean;
}

interface ConfigVariable<Key extends string, T> extends VariableOptions<T> {
  /** Where AppConfig holds the value: a property, or a dotted path into a section (`iacState.s3.bucket`). */
  readonly key: Key;
  readonly parse: VariableParser<T>;
}

/** `const` keeps a default such as 'postgres' literal, so it is checked against the parser's values, and keeps the key for AppConfig. */
function variable<const Key extends string, T, const Options extends VariableOptions<T>>(
  key: Key,
  parse: VariableParser<T>,
  options: Options,
): ConfigVariable<Key, T> & Options {
  return { key, parse, ...options };
}

const HTTP_URL = 'an http:// or https:// URL';

/** Every variable, in the order the README table and start-up errors list them. */
export const CONFIG_VARIABLES = {
  DATABASE_URL: variable('databaseUrl', url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL'), {
    whenUnset: 'embedded PGlite',
    description:
      'PostgreSQL connection string (`postgres://` or `postgresql://`) for the read models and the PostgreSQL event store. Unset, the service starts an embedded PGlite database under `DATA_DIR` — for first runs and demos, not production.',
  }),
  DATA_DIR: variable('dataDir', text, {
    default: './.data',
    description: 'Where the embedded database keeps its files when `DATABASE_URL` is unset.',
  }),
  EVENT_STORE: variable('eventStore', oneOf(EVENT_STORES), {
    default: 'postgres',
    description: '`postgres` (built in, uses the database above) or `kurrentdb` (needs `KURRENTDB_URL`).',
  }),
  KURRENTDB_URL: variable('kurrentdbUrl', kurrentdbUrl, {
    description: 'KurrentDB connection string, e.g. `kurrentdb://localhost:2113?tls=false`. Required when `EVENT_STORE=kurrentdb`.',
  }),
  PORT: variable('port', integer(0, 65535, 'an integer between 0 and 65535'), {
    default: 3000,
    description: 'HTTP port, 0–65535 (0: any free port; the log says which).',
  }),
  HOST: variable('host', hostName, { default: '0.0.0.0', description: 'Address the HTTP server binds to.' }),
  LOG_LEVEL: variable('logLevel', oneOf(LOG_LEVELS), { default: 'info', description: `Log level: ${LOG_LEVELS.join(', ')}.` }),
  NODE_ENV: variable('nodeEnv', oneOf(NODE_ENVS), { default: 'development', description: `${NODE_ENVS.join(', ')}.` }),
  DIGITALOCEAN_TOKEN: variable('digitalOceanToken', secretToken, {
    whenUnset: 'the simulator',
    secret: true,
    description:
      'DigitalOcean API token for provisioning (read and write). Unset: `npm start` runs the DigitalOcean simulator in-process and uses it (the log says so), or, with `DIGITALOCEAN_API_URL` set, talks to that URL (a standalone simulator) without a token.',
  }),
  DIGITALOCEAN_SYNC_TOKEN: variable('digitalOceanSyncToken', secretToken, {
    whenUnset: 'DIGITALOCEAN_TOKEN',
    secret: true,
    description: 'A read-only DigitalOcean token for the inventory sync (rate limits are per token).',
  }),
  DROPLET_ACTIVE_POLL_SECONDS: variable('dropletActivePollSeconds', positiveSeconds, {
    default: 5,
    description: 'How often a provisioning saga looks whether its new droplet is active (through the timer queue: no worker waits).',
  }),
  DROPLET_ACTIVE_MAX_POLLS: variable('dropletActiveMaxPolls', integer(1, 100_000, 'an integer between 1 and 100000'), {
    default: 96,
    description: 'How many of those looks before the provisioning fails and rolls back (96 × 5 s: 8 minutes).',
  }),
  DROPLET_ACTION_POLL_SECONDS: variable('dropletActionPollSeconds', positiveSeconds, {
    default: 5,
    description:
      'How often a saga looks whether a droplet action (snapshot, power off/on, resize) has finished, and whether a finished snapshot shows in the listing yet; the saga gives up on an action after 120 looks.',
  }),
  INVENTORY_SYNC_CRON: variable('inventorySyncCron', cronOrOff, {
    default: '0 0,15,30,45 * * * *',
    description:
      'When the inventory sync lists every droplet (cron with seconds; default every 15 minutes at :00/:15/:30/:45). `off` disables it; `POST /api/v1/inventory/sync` runs it now.',
  }),
  INVENTORY_DELETE_GRACE_SECONDS: variable('inventoryDeleteGraceSeconds', integer(0, 86_400, 'a whole number of seconds from 0 to 86400'), {
    default: 120,
    description:
      'How long after its last event a droplet missing from a listing is still taken for the listing lagging (after a create): only after that does a sync record it deleted.',
  }),
  DRIFT_DETECT_CRON: variable('driftDetectCron', cronOrOff, {
    default: '0 20 * * * *',
    description: 'When drift detection runs (cron with seconds; default :20 past the hour, after the syncs). `off` disables it; `POST /api/v1/drift/detect` runs it now.',
  }),
  DIGITALOCEAN_API_URL: variable('digitalOceanApiUrl', url(['http:', 'https:'], HTTP_URL), {
    default: 'https://api.digitalocean.com',
    description:
      'Base URL of the DigitalOcean API (`http://` or `https://`), e.g. a standalone simulator. With `NODE_ENV=production`, either this or `DIGITALOCEAN_TOKEN` must be set: production never falls back to the simulator.',
  }),
  PROJECTION_BATCH_SIZE: variable('projectionBatchSize', integer(1, Number.MAX_SAFE_INTEGER, 'an integer of at least 1'), {
    default: 500,
    description: 'Events a projection applies per transaction; an integer of at least 1.',
  }),
  PROJECTION_LINGER_MS: variable('projectionLingerMs', integer(0, 10_000, 'a whole number of milliseconds from 0 to 10000'), {
    default: DEFAULT_PROJECTION_LINGER_MS,
    description:
      'After a batch smaller than PROJECTION_BATCH_SIZE (live traffic), how long a projection lets events gather before it reads on: under load, fewer and larger transactions; read models trail the log by at most this much more. `0` reads on at once.',
  }),
  READY_MAX_LAG_SECONDS: variable('readyMaxLagSeconds', positiveSeconds, {
    default: 30,
    description: '`/health/ready` reports unready while a projection lags further behind than this many seconds.',
  }),
  BODY_LIMIT_BYTES: variable('bodyLimitBytes', integer(1024, 1_073_741_824, 'a number of bytes between 1024 and 1073741824'), {
    default: 1_048_576,
    description: 'Largest request body accepted; a larger one answers 413.',
  }),
  RATE_LIMIT_PER_MINUTE: variable('rateLimitPerMinute', integer(1, 1_000_000, 'an integer between 1 and 1000000'), {
    default: 600,
    description: 'Requests per minute per API token; more answer 429.',
  }),
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: variable('rateLimitPerAddressPerMinute', integer(1, 1_000_000, 'an integer between 1 and 1000000'), {
    default: 600,
    description:
      'Requests per minute per client address, counted before authentication (requests with a bad or no token count too); more answer 429 with `retry-after`. Health checks are not counted.',
  }),
  TRUST_PROXY: variable('trustProxy', trustProxy, {
    default: false,
    description:
      "Express's `trust proxy`: `false` (the client address is the connection's peer), `true`, a number of proxy hops, or addresses/subnets (`loopback, 10.0.0.0/8`) whose `X-Forwarded-For` is believed. Set it behind a load balancer, or every client shares the balancer's address limit.",
  }),
  SAGA_DEMO_DEFINITIONS: variable('sagaDemoDefinitions', boolean, {
    default: (values: Values) => values.DATABASE_URL === undefined,
    whenUnset: 'true on the embedded database, else false',
    description:
      'Registers the demo and test saga definitions (`script`, `noop`), which anyone with the operator role may start. Off in a real deployment unless set to `true`.',
  }),
  METRICS_PORT: variable('metricsPort', integer(0, 65535, 'an integer between 0 and 65535'), {
    description: 'When set, `/metrics` is also served without a token on this port, for a scraper on a private network. `/metrics` on `PORT` always needs a viewer token.',
  }),
  BOOTSTRAP_TOKEN: variable('bootstrapToken', longSecretToken, {
    whenUnset: 'generated',
    secret: true,
    description:
      'At the first start (no API token exists yet) this becomes the `platform_admin` token named `bootstrap`; unset, one is generated and printed once. At least 24 characters.',
  }),
  SAGA_WORKERS: variable('sagaWorkers', integer(0, 64, 'an integer between 0 and 64'), {
    default: 4,
    description: 'Saga workers in this process; scale out with more processes. 0: this instance serves the API but runs no saga steps.',
  }),
  SAGA_LEASE_SECONDS: variable('sagaLeaseSeconds', integer(1, 86_400, 'a number of seconds between 1 and 86400'), {
    default: 30,
    description: "How long a worker's claim on a saga holds: a crashed worker's saga is picked up by another after this. Longer than the slowest step's timeout.",
  }),
  IAC_STATE_BACKEND: variable('iacState.backend', oneOf(['event-sourced', 's3'] as const), {
    default: 'event-sourced',
    description: 'Where IaC state lives: `event-sourced` (the event store, with full history) or `s3` (an S3-compatible bucket such as DigitalOcean Spaces).',
  }),
  IAC_S3_BUCKET: variable('iacState.s3.bucket', text, { description: 'The bucket; required when `IAC_STATE_BACKEND=s3`.' }),
  IAC_S3_ENDPOINT: variable('iacState.s3.endpoint', url(['http:', 'https:'], HTTP_URL), {
    default: 'https://nyc3.digitaloceanspaces.com',
    description: 'S3 endpoint URL (DigitalOcean Spaces by default).',
  }),
  IAC_S3_REGION: variable('iacState.s3.region', hostName, { default: 'us-east-1', description: 'Region used in request signatures.' }),
  IAC_S3_ACCESS_KEY_ID: variable('iacState.s3.accessKeyId', secretToken, {
    whenUnset: 'SDK default chain',
    description: 'Access key id; with the secret below, or neither (the AWS SDK default credential chain).',
  }),
  IAC_S3_SECRET_ACCESS_KEY: variable('iacState.s3.secretAccessKey', secretToken, { secret: true, description: 'Secret access key.' }),
  IAC_S3_PREFIX: variable('iacState.s3.prefix', text, { default: 'iac-state/', description: 'Key prefix of the state and lock objects.' }),
  IAC_S3_FORCE_PATH_STYLE: variable('iacState.s3.forcePathStyle', boolean, {
    default: false,
    description: '`true` for `https://host/bucket/key` addressing (most self-hosted S3 servers).',
  }),
  IAC_S3_LOCKING: variable('iacState.s3.locking', boolean, {
    default: true,
    description:
      '`false` is the explicit opt-out for a server that ignores conditional writes: the service then starts, and lock calls answer 422 instead of pretending. With `true`, such a server is refused at start.',
  }),
};

type Variables = typeof CONFIG_VARIABLES;
export type ConfigVariableName = keyof Variables;

/** A variable's value once loaded: its parser's output, or undefined when it has no default. */
type ValueOf<V> = V extends ConfigVariable<string, infer T> ? (V extends { readonly default: unknown } ? T : T | undefined) : never;

/** The values whose key is `${Prefix}property`, by property (deeper paths left out). */
type Section<Prefix extends string> = {
  readonly [N in ConfigVariableName as Variables[N]['key'] extends `${Prefix}${infer Property}`
    ? Property extends `${string}.${string}`
      ? never
      : Property
    : never]: ValueOf<Variables[N]>;
};

/** The S3 settings exist only for the S3 backend, which cannot start without a bucket (a rule below). */
export type IacStateConfig =
  | { readonly backend: 'event-sourced' }
  | { readonly backend: 's3'; readonly s3: Omit<Section<'iacState.s3.'>, 'bucket'> & { readonly bucket: string } };

export interface AppConfig extends Section<''> {
  readonly iacState: IacStateConfig;
}

const NAMES = Object.keys(CONFIG_VARIABLES) as ConfigVariableName[];
const declared = (name: ConfigVariableName): ConfigVariable<string, unknown> => CONFIG_VARIABLES[name];

type StaticDefaults = {
  readonly [N in ConfigVariableName as Variables[N] extends { readonly default: infer D } ? (D extends (values: Values) => unknown ? never : N) : never]: Variables[N] extends {
    readonly default: infer D;
  }
    ? D
    : never;
};

/** The fixed defaults, by variable name. */
export const CONFIG_DEFAULTS = Object.freeze(
  Object.fromEntries(
    NAMES.flatMap((name) => {
      const fallback = declared(name).default;
      return fallback === undefined || typeof fallback === 'function' ? [] : [[name, fallback]];
    }),
  ),
) as StaticDefaults;

export interface ConfigVariableDoc {
  readonly name: string;
  /** What applies when the variable is unset, as a README table shows it. */
  readonly default: string;
  readonly description: string;
}

/** One row per variable, in the order the README table lists them. */
export const CONFIG_DOCS: readonly ConfigVariableDoc[] = Object.freeze(
  NAMES.map((name) => {
    const { default: fallback, whenUnset, description, secret } = declared(name);
    return {
      name,
      default: fallback !== undefined && typeof fallback !== 'function' ? String(fallback) : whenUnset ? `unset: ${whenUnset}` : 'unset',
      description: secret ? `${description} Never logged.` : description,
    };
  }),
);

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

/**
 * Each variable on its own: unset or blank reads as undefined (the default comes later), anything
 * else goes through its parser. (Object.fromEntries loses the per-name types the cast restores.)
 */
export const configSchema = z.object(
  Object.fromEntries(
    NAMES.map((name) => [
      name,
      z
        .string()
        .optional()
        .transform((input) => input?.trim() || undefined)
        .pipe(declared(name).parse.optional()),
    ]),
  ) as unknown as { [N in ConfigVariableName]: z.ZodType<ValueOf<Variables[N]> | undefined, string | undefined> },
);

type LoadedValues = { [N in ConfigVariableName]: ValueOf<Variables[N]> };

/**
 * Rules across variables. `values` has every default applied; a variable that was set but failed
 * its parser is undefined there, and `isSet` tells set from unset, so a bad value is reported once,
 * by its parser, not again as missing.
 */
const CROSS_VARIABLE_RULES: readonly ((values: LoadedValues, isSet: (name: ConfigVariableName) => boolean) => ConfigIssue | undefined)[] = [
  (values, isSet) =>
    values.EVENT_STORE === 'kurrentdb' && !isSet('KURRENTDB_URL') ? { variable: 'KURRENTDB_URL', message: 'is required when EVENT_STORE=kurrentdb' } : undefined,
  (values, isSet) =>
    values.NODE_ENV === 'production' && !isSet('DIGITALOCEAN_TOKEN') && !isSet('DIGITALOCEAN_API_URL')
      ? {
          variable: 'DIGITALOCEAN_TOKEN',
          message:
            'is required when NODE_ENV=production (or set DIGITALOCEAN_API_URL to a simulator on purpose): production never falls back to the built-in simulator',
        }
      : undefined,
  (values, isSet) =>
    values.IAC_STATE_BACKEND === 's3' && !isSet('IAC_S3_BUCKET') ? { variable: 'IAC_S3_BUCKET', message: 'is required when IAC_STATE_BACKEND=s3' } : undefined,
  (_, isSet) =>
    isSet('IAC_S3_ACCESS_KEY_ID') !== isSet('IAC_S3_SECRET_ACCESS_KEY')
      ? { variable: 'IAC_S3_SECRET_ACCESS_KEY', message: 'IAC_S3_ACCESS_KEY_ID and IAC_S3_SECRET_ACCESS_KEY go together: set both or neither' }
      : undefined,
];

/** Reads and checks the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const issues: ConfigIssue[] = [];
  const parsed: Record<string, unknown> = {};
  for (const name of NAMES) {
    const result = configSchema.shape[name].safeParse(env[name]);
    if (result.success) parsed[name] = result.data;
    else issues.push(...result.error.issues.map((issue) => ({ variable: name, message: issue.message })));
  }
  const isSet = (name: ConfigVariableName): boolean => Boolean(env[name]?.trim());
  const values = withDefaults(parsed, isSet);
  issues.push(...CROSS_VARIABLE_RULES.flatMap((rule) => rule(values, isSet) ?? []));
  if (issues.length > 0) {
    // stable: a variable's own problem comes before what a rule says about it
    throw new ConfigError(issues.sort((a, b) => NAMES.indexOf(a.variable as ConfigVariableName) - NAMES.indexOf(b.variable as ConfigVariableName)));
  }
  return assemble(values);
}

/** Fixed defaults first, so a computed one sees them; a variable set but refused stays undefined. */
function withDefaults(parsed: Record<string, unknown>, isSet: (name: ConfigVariableName) => boolean): LoadedValues {
  const values: Record<string, unknown> = { ...parsed };
  const unset = NAMES.filter((name) => !isSet(name));
  for (const name of unset) {
    const fallback = declared(name).default;
    if (typeof fallback !== 'function') values[name] = fallback;
  }
  for (const name of unset) {
    const fallback = declared(name).default;
    if (typeof fallback === 'function') values[name] = fallback(values);
  }
  return values as LoadedValues;
}

/** Puts each value where its key says; the S3 section only for the S3 backend (see IacStateConfig). */
function assemble(values: LoadedValues): AppConfig {
  const config: Record<string, unknown> = {};
  for (const name of NAMES) {
    const path = declared(name).key.split('.');
    let section = config;
    for (const part of path.slice(0, -1)) section = (section[part] ??= {}) as Record<string, unknown>;
    section[path[path.length - 1]!] = values[name];
  }
  const iacState = config.iacState as { backend: string; s3?: unknown };
  if (iacState.backend !== 's3') delete iacState.s3;
  return Object.freeze(config) as unknown as AppConfig;
}
