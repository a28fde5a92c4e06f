import type { EntityManager, EntityMetadata, Platform, Type } from '@mikro-orm/core';

/** A column of the read-model table, from the entity's metadata. */
interface Column {
  readonly property: string;
  readonly field: string;
  /** The column name, quoted. */
  readonly name: string;
  /** The property's custom type (json, bigint as string), which converts to and from the database. */
  readonly type: Type<unknown, unknown> | undefined;
  /** A date: the connection hands timestamps over as text, which the platform parses. */
  readonly isDate: boolean;
}

/** At most this many values to a statement (the connection writes them into its text): a rebuild's batch of thousands of rows takes several. */
const MAX_VALUES_PER_STATEMENT = 30_000;

/**
 * Reads and writes a projection's rows as plain objects, by the entity's metadata, in SQL of its
 * own: what MikroORM's `em.find` and driver upsert do for a batch, without making an entity of each
 * row, merging it into a context thrown away after the batch, and serializing it back (MikroORM was a
 * fifth of bench:provision's Node CPU, nearly all of it there). The values are converted
 * as MikroORM's hydration converts them: timestamps parsed to Dates, custom types through the type.
 */
export class RowCodec<Row extends object> {
  private readonly columns: readonly Column[];
  private readonly key: Column;
  private readonly tableName: string;
  /** The statements' fixed parts, made once. */
  private readonly columnList: string;
  private readonly rowPlaceholders: string;
  private readonly onConflict: string;

  constructor(
    meta: EntityMetadata<Row>,
    private readonly platform: Platform,
  ) {
    this.columns = meta.props
      .filter((prop) => prop.persist !== false && prop.fieldNames?.length === 1)
      .map((prop) => ({
        property: prop.name,
        field: prop.fieldNames[0]!,
        name: platform.quoteIdentifier(prop.fieldNames[0]!),
        type: prop.customType as Type<unknown, unknown> | undefined,
        isDate: prop.runtimeType === 'Date',
      }));
    if (meta.primaryKeys.length !== 1) throw new Error(`${meta.className}: a projection's table has a single-column key`);
    this.key = this.columns.find((c) => c.property === meta.primaryKeys[0])!;
    this.tableName = platform.quoteIdentifier(meta.tableName);
    this.columnList = this.columns.map((c) => c.name).join(', ');
    this.rowPlaceholders = `(${placeholders(this.columns.length)})`;
    const updates = this.columns.filter((c) => c !== this.key).map((c) => `${c.name} = excluded.${c.name}`);
    this.onConflict = `on conflict (${this.key.name}) do update set ${updates.join(', ')}`;
  }

  /** The rows with these keys, in the transaction `em` runs. */
  async find(em: EntityManager, schema: string | undefined, keys: readonly string[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (const chunk of chunks(keys, MAX_VALUES_PER_STATEMENT)) {
      const raw = await this.execute<Record<string, unknown>[]>(em, `select ${this.columnList} from ${this.table(schema)} where ${this.keyIn(chunk.length)}`, chunk, 'all');
      for (const row of raw) rows.push(this.fromDatabase(row));
    }
    return rows;
  }

  /** Inserts the rows, or replaces those whose key stands already. */
  async upsert(em: EntityManager, schema: string | undefined, rows: readonly Row[]): Promise<void> {
    for (const chunk of chunks(rows, Math.floor(MAX_VALUES_PER_STATEMENT / this.columns.length))) {
      const values = chunk.map(() => this.rowPlaceholders).join(', ');
      await this.execute(em, `insert into ${this.table(schema)} (${this.columnList}) values ${values} ${this.onConflict}`, chunk.flatMap((row) => this.toDatabase(row)), 'run');
    }
  }

  /** Deletes the rows with these keys. */
  async delete(em: EntityManager, schema: string | undefined, keys: readonly string[]): Promise<void> {
    for (const chunk of chunks(keys, MAX_VALUES_PER_STATEMENT)) {
      await this.execute(em, `delete from ${this.table(schema)} where ${this.keyIn(chunk.length)}`, chunk, 'run');
    }
  }

  /** The table, in `schema` when given (a rebuild's). */
  private table(schema: string | undefined): string {
    return (schema ? `${this.platform.quoteIdentifier(schema)}.` : '') + this.tableName;
  }

  private keyIn(count: number): string {
    return `${this.key.name} in (${placeholders(count)})`;
  }

  /** In the transaction `em` runs. */
  private execute<T>(em: EntityManager, sql: string, params: unknown[], method: 'all' | 'run'): Promise<T> {
    return em.getConnection().execute<T>(sql, params, method, em.getTransactionContext());
  }

  private fromDatabase(raw: Record<string, unknown>): Row {
    const row: Record<string, unknown> = {};
    for (const column of this.columns) {
      const value = raw[column.field];
      if (value === null || value === undefined) row[column.property] = null;
      else if (column.isDate) row[column.property] = this.platform.parseDate(value as string);
      else row[column.property] = column.type ? column.type.convertToJSValue(value, this.platform) : value;
    }
    return row as Row;
  }

  private toDatabase(row: Row): unknown[] {
    return this.columns.map((column) => {
      const value = (row as Record<string, unknown>)[column.property];
      if (value === null || value === undefined) return null;
      return column.type && !column.isDate ? column.type.convertToDatabaseValue(value, this.platform) : value;
    });
  }
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

function* chunks<T>(items: readonly T[], size: number): Iterable<T[]> {
  for (let from = 0; from < items.length; from += size) yield items.slice(from, from + size);
}
