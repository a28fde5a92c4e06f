import { CONFIG_DEFAULTS, CONFIG_DOCS, CONFIG_VARIABLES, ConfigError, configDocsMarkdown, configSchema, loadConfig } from './config.js';

/** The ConfigError loading `env` throws; fails the test when loading succeeds. */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(Object.keys(env))} to be refused`);
}

const lines = (error: ConfigError): string[] => error.message.split('\n');

describe('configuration', () => {
  describe('given an empty environment', () => {
    it('when loaded, then every default applies and the database is embedded', () => {
      const config = loadConfig({});

      expect(config).toEqual({
        databaseUrl: undefined,
        dataDir: './.data',
        eventStore: 'postgres',
        kurrentdbUrl: undefined,
        port: 3000,
        host: '0.0.0.0',
        logLevel: 'info',
        nodeEnv: 'development',
        digitalOceanToken: undefined,
        digitalOceanApiUrl: 'https://api.digitalocean.com',
        digitalOceanSyncToken: undefined,
        dropletActivePollSeconds: 5,
        dropletActiveMaxPolls: 96,
        dropletActionPollSeconds: 5,
        inventorySyncCron: '0 0,15,30,45 * * * *',
        inventoryDeleteGraceSeconds: 120,
        driftDetectCron: '0 20 * * * *',
        projectionBatchSize: 500,
        projectionLingerMs: 25,
        readyMaxLagSeconds: 30,
        bodyLimitBytes: 1_048_576,
        rateLimitPerMinute: 600,
        rateLimitPerAddressPerMinute: 600,
        trustProxy: false,
        sagaDemoDefinitions: true,
        metricsPort: undefined,
        bootstrapToken: undefined,
        sagaWorkers: 4,
        sagaLeaseSeconds: 30,
        iacState: { backend: 'event-sourced' },
      });
    });

    it('when loaded, then the result is frozen', () => {
      const config = loadConfig({});

      expect(Object.isFrozen(config)).toBe(true);
    });
  });

  describe('given blank variables', () => {
    it('when loaded, then they count as unset', () => {
      const config = loadConfig({ PORT: '', DATABASE_URL: '  ', LOG_LEVEL: '' });

      expect(config.port).toBe(3000);
      expect(config.databaseUrl).toBeUndefined();
      expect(config.logLevel).toBe('info');
    });
  });

  describe('given a complete, valid environment', () => {
    it('when loaded, then each variable is read and typed', () => {
      const config = loadConfig({
        DATABASE_URL: 'postgres://postgres:cloudledger@postgres:5432/cloudledger',
        DATA_DIR: '/var/lib/cloudledger',
        EVENT_STORE: 'kurrentdb',
        KURRENTDB_URL: 'kurrentdb://kurrentdb:2113?tls=false',
        PORT: ' 8080 ',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'debug',
        NODE_ENV: 'production',
        DIGITALOCEAN_TOKEN: 'dop_v1_abc',
        DIGITALOCEAN_API_URL: 'http://127.0.0.1:4010',
        DIGITALOCEAN_SYNC_TOKEN: 'dop_v1_readonly',
        DROPLET_ACTIVE_POLL_SECONDS: '0.5',
        DROPLET_ACTIVE_MAX_POLLS: '10',
        DROPLET_ACTION_POLL_SECONDS: '2',
        INVENTORY_SYNC_CRON: '0 */5 * * * *',
        INVENTORY_DELETE_GRACE_SECONDS: '30',
        DRIFT_DETECT_CRON: 'off',
        PROJECTION_BATCH_SIZE: '50',
        PROJECTION_LINGER_MS: '0',
        READY_MAX_LAG_SECONDS: '2.5',
        BODY_LIMIT_BYTES: '65536',
        RATE_LIMIT_PER_MINUTE: '120',
        RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '300',
        TRUST_PROXY: 'loopback, 10.0.0.0/8',
        SAGA_DEMO_DEFINITIONS: 'true',
        METRICS_PORT: '9464',
        BOOTSTRAP_TOKEN: 'clt_bootstrap-token-for-automation',
        SAGA_WORKERS: '0',
        SAGA_LEASE_SECONDS: '90',
        IAC_STATE_BACKEND: 's3',
        IAC_S3_BUCKET: 'tfstate',
        IAC_S3_ENDPOINT: 'http://127.0.0.1:9000',
        IAC_S3_REGION: 'us-east-1',
        IAC_S3_ACCESS_KEY_ID: 'AKIA',
        IAC_S3_SECRET_ACCESS_KEY: 'sekrit',
        IAC_S3_PREFIX: 'state/',
        IAC_S3_FORCE_PATH_STYLE: 'true',
        IAC_S3_LOCKING: 'false',
      });

      expect(config).toEqual({
        databaseUrl: 'postgres://postgres:cloudledger@postgres:5432/cloudledger',
        dataDir: '/var/lib/cloudledger',
        eventStore: 'kurrentdb',
        kurrentdbUrl: 'kurrentdb://kurrentdb:2113?tls=false',
        port: 8080,
        host: '127.0.0.1',
        logLevel: 'debug',
        nodeEnv: 'production',
        digitalOceanToken: 'dop_v1_abc',
        digitalOceanApiUrl: 'http://127.0.0.1:4010',
        digitalOceanSyncToken: 'dop_v1_readonly',
        dropletActivePollSeconds: 0.5,
        dropletActiveMaxPolls: 10,
        dropletActionPollSeconds: 2,
        inventorySyncCron: '0 */5 * * * *',
        inventoryDeleteGraceSeconds: 30,
        driftDetectCron: 'off',
        projectionBatchSize: 50,
        projectionLingerMs: 0,
        readyMaxLagSeconds: 2.5,
        bodyLimitBytes: 65536,
        rateLimitPerMinute: 120,
        rateLimitPerAddressPerMinute: 300,
        trustProxy: 'loopback,10.0.0.0/8',
        sagaDemoDefinitions: true,
        metricsPort: 9464,
        bootstrapToken: 'clt_bootstrap-token-for-automation',
        sagaWorkers: 0,
        sagaLeaseSeconds: 90,
        iacState: {
          backend: 's3',
          s3: {
            bucket: 'tfstate',
            endpoint: 'http://127.0.0.1:9000',
            region: 'us-east-1',
            accessKeyId: 'AKIA',
            secretAccessKey: 'sekrit',
            prefix: 'state/',
            forcePathStyle: true,
            locking: false,
          },
        },
      });
    });
  });

  describe('given one bad variable', () => {
    it.each([
      ['PORT', 'abc', 'PORT: must be an integer between 0 and 65535, got "abc"'],
      ['PORT', '-1', 'PORT: must be an integer between 0 and 65535, got "-1"'],
      ['PORT', '65536', 'PORT: must be an integer between 0 and 65535, got "65536"'],
      ['PORT', '80.5', 'PORT: must be an integer between 0 and 65535, got "80.5"'],
      ['BODY_LIMIT_BYTES', '10', 'BODY_LIMIT_BYTES: must be a number of bytes between 1024 and 1073741824, got "10"'],
      ['RATE_LIMIT_PER_MINUTE', '0', 'RATE_LIMIT_PER_MINUTE: must be an integer between 1 and 1000000, got "0"'],
      ['BOOTSTRAP_TOKEN', 'short', 'BOOTSTRAP_TOKEN: must be at least 24 characters without whitespace'],
      ['IAC_STATE_BACKEND', 'disk', 'IAC_STATE_BACKEND: must be "event-sourced" or "s3", got "disk"'],
      ['IAC_S3_LOCKING', 'maybe', 'IAC_S3_LOCKING: must be true or false, got "maybe"'],
      ['EVENT_STORE', 'mongo', 'EVENT_STORE: must be "postgres" or "kurrentdb", got "mongo"'],
      ['LOG_LEVEL', 'loud', 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
      ['NODE_ENV', 'prod', 'NODE_ENV: must be one of development, production, test, got "prod"'],
      ['HOST', 'two words', 'HOST: must be a host name or an IP address, got "two words"'],
      ['PROJECTION_BATCH_SIZE', '0', 'PROJECTION_BATCH_SIZE: must be an integer of at least 1, got "0"'],
      ['PROJECTION_BATCH_SIZE', 'many', 'PROJECTION_BATCH_SIZE: must be an integer of at least 1, got "many"'],
      ['READY_MAX_LAG_SECONDS', '-1', 'READY_MAX_LAG_SECONDS: must be a number of seconds greater than 0, got "-1"'],
      ['DATABASE_URL', 'not a url', 'DATABASE_URL: is not a valid URL'],
      ['DATABASE_URL', 'mysql://db/x', 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
      ['DIGITALOCEAN_API_URL', 'api.digitalocean.com', 'DIGITALOCEAN_API_URL: is not a valid URL'],
      ['DIGITALOCEAN_API_URL', 'ftp://api.digitalocean.com', 'DIGITALOCEAN_API_URL: must be an http:// or https:// URL'],
      ['DIGITALOCEAN_TOKEN', 'dop v1', 'DIGITALOCEAN_TOKEN: must not contain whitespace'],
      ['DRIFT_DETECT_CRON', '20 * * * *', 'DRIFT_DETECT_CRON: must be a cron expression with six fields (seconds first, e.g. "0 20 * * * *") or off, got "20 * * * *"'],
      ['INVENTORY_DELETE_GRACE_SECONDS', '-1', 'INVENTORY_DELETE_GRACE_SECONDS: must be a whole number of seconds from 0 to 86400, got "-1"'],
      ['INVENTORY_SYNC_CRON', 'hourly', 'INVENTORY_SYNC_CRON: must be a cron expression with six fields (seconds first, e.g. "0 20 * * * *") or off, got "hourly"'],
      ['DRIFT_DETECT_CRON', '99 * * * * *', 'DRIFT_DETECT_CRON: must be a cron expression with six fields (seconds first, e.g. "0 20 * * * *") or off, got "99 * * * * *" (Field value (99) is out of range)'],
      ['DROPLET_ACTIVE_MAX_POLLS', '0', 'DROPLET_ACTIVE_MAX_POLLS: must be an integer between 1 and 100000, got "0"'],
      ['RATE_LIMIT_PER_ADDRESS_PER_MINUTE', '0', 'RATE_LIMIT_PER_ADDRESS_PER_MINUTE: must be an integer between 1 and 1000000, got "0"'],
      ['TRUST_PROXY', 'everyone', 'TRUST_PROXY: must be true, false, a number of hops, or addresses/subnets separated by commas, got "everyone"'],
      ['SAGA_DEMO_DEFINITIONS', 'sometimes', 'SAGA_DEMO_DEFINITIONS: must be true or false, got "sometimes"'],
      [
        'KURRENTDB_URL',
        'http://kurrentdb:2113',
        'KURRENTDB_URL: must be a kurrentdb:// (or kurrentdb+discover://, kurrent://, kdb://, esdb://) connection string',
      ],
    ])('when %s=%j, then the error has exactly its own line', (name, value, line) => {
      const error = refusal({ [name]: value });

      expect(error.name).toBe('ConfigError');
      expect(lines(error)).toEqual([line]);
      expect(error.issues).toEqual([{ variable: name, message: line.slice(name.length + 2) }]);
    });
  });

  describe('given NODE_ENV=production', () => {
    it('when no DigitalOcean token or API URL is set, then it refuses to start rather than use the simulator', () => {
      expect(lines(refusal({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' }))).toEqual([
        'DIGITALOCEAN_TOKEN: is required when NODE_ENV=production (or set DIGITALOCEAN_API_URL to a simulator on purpose): production never falls back to the built-in simulator',
      ]);
    });

    it('when a token, or an API URL on purpose, is set, then it starts, without the demo sagas', () => {
      expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', DIGITALOCEAN_TOKEN: 'dop_v1_x' }).sagaDemoDefinitions).toBe(false);
      expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', DIGITALOCEAN_API_URL: 'http://sim:8089' }).digitalOceanApiUrl).toBe('http://sim:8089');
    });
  });

  describe('given TRUST_PROXY', () => {
    it.each([
      ['true', true],
      ['0', false],
      ['2', 2],
      ['loopback', 'loopback'],
      ['10.0.0.0/8, 192.168.1.7', '10.0.0.0/8,192.168.1.7'],
    ])('when %j, then Express gets %j', (raw, value) => {
      expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(value);
    });
  });

  describe('given IaC S3 settings that do not go together', () => {
    it('when the s3 backend has no bucket, then the bucket is asked for', () => {
      expect(lines(refusal({ IAC_STATE_BACKEND: 's3' }))).toEqual(['IAC_S3_BUCKET: is required when IAC_STATE_BACKEND=s3']);
    });

    it('when only one half of the key pair is set, then both are asked for, and the value is not shown', () => {
      const error = refusal({ IAC_STATE_BACKEND: 's3', IAC_S3_BUCKET: 'b', IAC_S3_ACCESS_KEY_ID: 'AKIA-SECRET-ID' });
      expect(lines(error)).toEqual(['IAC_S3_SECRET_ACCESS_KEY: IAC_S3_ACCESS_KEY_ID and IAC_S3_SECRET_ACCESS_KEY go together: set both or neither']);
      expect(error.message).not.toContain('AKIA-SECRET-ID');
    });
  });

  describe('given several bad variables at once', () => {
    it('when loaded, then every one is listed on its own line, in documentation order', () => {
      const error = refusal({
        PROJECTION_BATCH_SIZE: '-5',
        PORT: 'abc',
        LOG_LEVEL: 'verbose',
        DATABASE_URL: 'nope',
        EVENT_STORE: 'sqlite',
      });

      expect(lines(error)).toEqual([
        'DATABASE_URL: is not a valid URL',
        'EVENT_STORE: must be "postgres" or "kurrentdb", got "sqlite"',
        'PORT: must be an integer between 0 and 65535, got "abc"',
        'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
        'PROJECTION_BATCH_SIZE: must be an integer of at least 1, got "-5"',
      ]);
    });
  });

  describe('given EVENT_STORE=kurrentdb', () => {
    it('when KURRENTDB_URL is missing, then start-up is refused with a clear reason', () => {
      const error = refusal({ EVENT_STORE: 'kurrentdb' });

      expect(lines(error)).toEqual(['KURRENTDB_URL: is required when EVENT_STORE=kurrentdb']);
    });

    it('when KURRENTDB_URL is missing and another variable is bad too, then both are listed', () => {
      const error = refusal({ EVENT_STORE: 'kurrentdb', PORT: 'x' });

      expect(lines(error)).toEqual([
        'KURRENTDB_URL: is required when EVENT_STORE=kurrentdb',
        'PORT: must be an integer between 0 and 65535, got "x"',
      ]);
    });

    it('when KURRENTDB_URL is set, then it is kept', () => {
      const config = loadConfig({ EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'kurrentdb+discover://a:2113,b:2113' });

      expect(config.kurrentdbUrl).toBe('kurrentdb+discover://a:2113,b:2113');
    });
  });

  describe('given EVENT_STORE=postgres', () => {
    it('when KURRENTDB_URL is missing, then nothing is missing', () => {
      expect(loadConfig({ EVENT_STORE: 'postgres' }).eventStore).toBe('postgres');
    });
  });

  describe('given secrets in bad variables', () => {
    it('when refused, then no secret value appears in the message', () => {
      const error = refusal({
        DATABASE_URL: 'mysql://admin:hunter2@db:3306/app',
        KURRENTDB_URL: 'https://admin:changeit@kurrent:2113',
        DIGITALOCEAN_TOKEN: 'dop_v1_topsecret with-space',
        DIGITALOCEAN_API_URL: 'gopher://user:apipass@host',
      });

      expect(lines(error)).toHaveLength(4);
      for (const secret of ['hunter2', 'admin', 'changeit', 'topsecret', 'with-space', 'apipass', 'user:']) {
        expect(error.message).not.toContain(secret);
        expect(JSON.stringify(error.issues)).not.toContain(secret);
      }
    });

    it('when a variable declared secret is refused, then its value is not in the message, and the table says it is never logged', () => {
      const secrets = Object.entries(CONFIG_VARIABLES).flatMap(([name, variable]) => ('secret' in variable && variable.secret ? [name] : []));
      expect(secrets).toEqual(['DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_SYNC_TOKEN', 'BOOTSTRAP_TOKEN', 'IAC_S3_SECRET_ACCESS_KEY']);

      for (const name of secrets) {
        const error = refusal({ [name]: 'leaked secret' });
        expect(error.issues.map((issue) => issue.variable)).toContain(name);
        expect(error.message).not.toContain('leaked');
        expect(CONFIG_DOCS.find((doc) => doc.name === name)?.description).toMatch(/Never logged\.$/);
      }
    });

    it('when DATABASE_URL cannot be parsed at all, then it is not echoed', () => {
      const error = refusal({ DATABASE_URL: 'postgres//postgres:s3cr3t@db/x' });

      expect(lines(error)).toEqual(['DATABASE_URL: is not a valid URL']);
      expect(error.message).not.toContain('s3cr3t');
    });
  });

  describe('given the documentation table', () => {
    it('when compared with the schema, then it documents every variable exactly once', () => {
      const documented = CONFIG_DOCS.map((doc) => doc.name);

      expect([...documented].sort()).toEqual(Object.keys(configSchema.shape).sort());
      expect(new Set(documented).size).toBe(documented.length);
    });

    it('when read, then its defaults are the ones applied', () => {
      const defaults = Object.fromEntries(CONFIG_DOCS.map((doc) => [doc.name, doc.default]));

      for (const [name, value] of Object.entries(CONFIG_DEFAULTS)) expect(defaults[name]).toBe(String(value));
    });
  });
});

describe('the README', () => {
  it('lists every variable exactly as the configuration documents it', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configDocsMarkdown());
  });
});
