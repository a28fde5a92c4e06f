import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { ormConfig } from '../../src/adapters/persistence/mikro-orm.config.js';

/** The server tests and benchmarks use: DATABASE_URL when set, else the local PostgreSQL. */
export const ADMIN_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  readonly pool: pg.Pool;
  readonly orm: MikroORM;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A database of its own, migrated, dropped afterwards: suites never see each other's events. */
export async function createTestDatabase(
  prefix = 'cl_test',
  entities: NonNullable<Options['entities']> = [],
  poolSize = 10,
): Promise<TestDatabase> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(ADMIN_DATABASE_URL, name);
  const orm = await MikroORM.init(ormConfig(url, entities, { pool: { min: 0, max: poolSize } }));
  await orm.migrator.up();
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // an idle connection ended by the server (the forced drop below) is not a test failure
  pool.on('error', () => undefined);
  return {
    url,
    name,
    pool,
    orm,
    async drop() {
      await pool.end();
      await orm.close(true);
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
