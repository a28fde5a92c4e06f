import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import { migrations } from './migrations/index.js';
import { readModelEntities } from '../../projections/read-model-entities.js';
import { ApiTokenEntity } from '../auth/api-token.entity.js';

export function ormConfig(
  databaseUrl: string,
  extraEntities: NonNullable<Options['entities']> = [],
  options: Partial<Options> = {},
): Options {
  return defineConfig({
    clientUrl: databaseUrl,
    entities: [...readModelEntities, ApiTokenEntity, ...extraEntities],
    extensions: [Migrator],
    migrations: { migrationsList: migrations, transactional: true, snapshot: false, silent: true },
    pool: { min: 0, max: 10 },
    // rows per multi-row insert/upsert statement (default 300): projections write batches of hundreds
    batchSize: 1000,
    allowGlobalContext: false,
    debug: false,
    ...options,
  });
}

/** Opens the ORM and brings the schema up to date. */
export async function openOrm(databaseUrl: string, options: Partial<Options> = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(databaseUrl, [], options));
  await orm.migrator.up();
  return orm;
}
