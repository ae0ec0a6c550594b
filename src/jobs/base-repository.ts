/**
 * `BaseRepository`: create / find / update / delete / count over any drizzle table with a
 * single-column primary key, written once over the SQL session. When the table has a `deletedAt`
 * column (found at runtime), reads, counts and updates skip soft-deleted rows, `delete` sets
 * `deletedAt` instead of deleting, and `hardDelete` removes rows for good. Statements run on the
 * checked session (`checked-session.ts`): arguments are checked before any SQL, and database
 * errors come out classified.
 */
import { and, count, eq, getTableColumns, getTableName, isNull, type Column, type InferInsertModel, type InferSelectModel, type SQL, type Table } from 'drizzle-orm'
import { DurableExecutionStorageError } from '../core/index.js'
import type { SqlPrimaryKey, SqlSession } from '../sql/index.js'
import { primaryKeyOf } from '../sql/index.js'
import { checkedJobSession } from './checked-session.js'
import { isPlainObject } from './column-values.js'
import { InvalidJobOptionError, InvalidJobValueError } from './errors.js'
import { orderByToSql, whereFilterToSql, type ColumnsByKey, type OrderBy, type WhereFilter } from './filters.js'

/** What every repository runs on: a SQL session (a database or a transaction) and a clock. */
export type RepositoryContext = {
  readonly session: SqlSession
  /** Epoch milliseconds; injectable for tests. */
  readonly now: () => number
}

/** A primary-key value. */
export type RowId = number | string

/** Options of reads. */
export type ReadOptions = {
  /** Also return soft-deleted rows. */
  readonly includeDeleted?: boolean
}

/** Options of {@link BaseRepository.findMany}. */
export type FindManyOptions<TRow> = ReadOptions & {
  readonly where?: WhereFilter<TRow>
  readonly orderBy?: OrderBy<TRow>
  readonly limit?: number
  readonly offset?: number
}

const SOFT_DELETE_KEY = 'deletedAt'
const TIMESTAMP_KEYS = ['createdAt', 'updatedAt'] as const

/**
 * CRUD over one table. `TRow` and `TInsert` default to the table's drizzle select and insert
 * models, so `new BaseRepository(context, usersTable)` is typed from the schema.
 */
export class BaseRepository<
  TTable extends Table,
  TRow extends object = InferSelectModel<TTable>,
  TInsert extends object = InferInsertModel<TTable>,
> {
  /** The session statements run on. */
  protected readonly session: SqlSession
  /** The table. */
  protected readonly table: TTable
  /** The table's columns by property key. */
  protected readonly columns: ColumnsByKey
  /** The primary key. */
  protected readonly primaryKey: SqlPrimaryKey
  /** The `deletedAt` column when the table has one. */
  protected readonly softDeleteColumn: Column | undefined
  /** The clock. */
  protected readonly now: () => number

  /**
   * @param context - the session and clock.
   * @param table - a drizzle table with a single-column primary key.
   */
  constructor(context: RepositoryContext, table: TTable) {
    this.session = checkedJobSession(context.session)
    this.now = context.now
    this.table = table
    this.columns = getTableColumns(table)
    this.primaryKey = primaryKeyOf(table)
    this.softDeleteColumn = this.columns[SOFT_DELETE_KEY]
  }

  /** Whether `delete` is a soft delete on this table. */
  get hasSoftDelete(): boolean {
    return this.softDeleteColumn !== undefined
  }

  /** Inserts a row (filling `createdAt` / `updatedAt` when the table has them) and returns it as stored. */
  async create(values: TInsert): Promise<TRow> {
    const row = this.withTimestamps(values)
    const { insertRowReturning } = this.session
    // One statement where the dialect returns the inserted row.
    if (insertRowReturning !== undefined) return (await insertRowReturning(this.table, row)) as TRow
    const id = await this.session.insertRowReturningId(this.table, row)
    const stored = await this.findById(id, { includeDeleted: true })
    if (stored === undefined) {
      throw new DurableExecutionStorageError(`The row inserted into "${getTableName(this.table)}" with id ${id} cannot be read back: check that nothing deletes rows meanwhile.`, 'other')
    }
    return stored
  }

  /** Inserts rows in chunks under the dialect's limits, all or none. */
  async createMany(values: ReadonlyArray<TInsert>): Promise<void> {
    await this.session.insertRows(this.table, this.checkedList(values).map((value) => this.withTimestamps(value)))
  }

  /** The row with this primary key, if any (and not soft-deleted, unless asked). */
  async findById(id: RowId, options?: ReadOptions): Promise<TRow | undefined> {
    return this.selectOne(eq(this.primaryKey.column, id), options)
  }

  /** The first row matching `where` in `orderBy` order, if any. */
  async findOne(where?: WhereFilter<TRow>, options?: ReadOptions & { readonly orderBy?: OrderBy<TRow> }): Promise<TRow | undefined> {
    const [row] = await this.findMany({ ...options, where, limit: 1 })
    return row
  }

  /** The rows matching `where`, ordered and paged. */
  async findMany(options: FindManyOptions<TRow> = {}): Promise<Array<TRow>> {
    return this.selectRows(whereFilterToSql(this.table, options.where), options, {
      orderBy: orderByToSql(this.table, options.orderBy),
      limit: options.limit,
      offset: options.offset,
    })
  }

  /** How many rows match `where`. */
  async count(where?: WhereFilter<TRow>, options?: ReadOptions): Promise<number> {
    return this.countWhere(whereFilterToSql(this.table, where), options)
  }

  /** Updates the rows matching `where` (setting `updatedAt` when the table has it); returns how many matched. */
  async update(where: WhereFilter<TRow>, set: Partial<TInsert>): Promise<number> {
    return this.updateWhere(whereFilterToSql(this.table, where), set)
  }

  /** Updates one row and returns it as it is afterwards, or `undefined` when there is no such row. */
  async updateById(id: RowId, set: Partial<TInsert>): Promise<TRow | undefined> {
    return this.updateByIdReturning(id, undefined, set)
  }

  /** Deletes the rows matching `where`: a soft delete when the table has `deletedAt`. Returns how many. */
  async delete(where: WhereFilter<TRow>): Promise<number> {
    return this.deleteWhere(whereFilterToSql(this.table, where))
  }

  /** Deletes one row (softly when the table has `deletedAt`); returns whether it existed. */
  async deleteById(id: RowId): Promise<boolean> {
    return (await this.deleteWhere(eq(this.primaryKey.column, id))) > 0
  }

  /** Removes the rows matching `where` for good, soft-deleted or not. Returns how many. */
  async hardDelete(where: WhereFilter<TRow>): Promise<number> {
    return this.session.deleteRows(this.table, whereFilterToSql(this.table, where))
  }

  /** Removes one row for good; returns whether it existed. */
  async hardDeleteById(id: RowId): Promise<boolean> {
    return (await this.session.deleteRows(this.table, eq(this.primaryKey.column, id))) > 0
  }

  /** `where` narrowed to rows that are not soft-deleted (unless `includeDeleted`). */
  protected live(where: SQL | undefined, options?: ReadOptions): SQL | undefined {
    const includeDeleted = options?.includeDeleted
    if (includeDeleted !== undefined && typeof includeDeleted !== 'boolean') {
      throw new InvalidJobOptionError('includeDeleted', includeDeleted, 'expected true or false.')
    }
    if (this.softDeleteColumn === undefined || includeDeleted === true) return where
    return and(where, isNull(this.softDeleteColumn))
  }

  /** The rows matching a drizzle condition. */
  protected async selectRows(
    where: SQL | undefined,
    options?: ReadOptions,
    query: { readonly orderBy?: Array<SQL>; readonly limit?: number; readonly offset?: number } = {},
  ): Promise<Array<TRow>> {
    const rows = await this.session.selectRows(this.table, { ...query, where: this.live(where, options) })
    return rows as Array<TRow>
  }

  /** The first row matching a drizzle condition. */
  protected async selectOne(where: SQL | undefined, options?: ReadOptions): Promise<TRow | undefined> {
    const [row] = await this.selectRows(where, options, { limit: 1 })
    return row
  }

  /** How many rows match a drizzle condition. */
  protected async countWhere(where: SQL | undefined, options?: ReadOptions): Promise<number> {
    const [row] = await this.session.selectRows(this.table, { fields: { count: count() }, where: this.live(where, options) })
    return Number(row?.count ?? 0)
  }

  /** Updates rows matching a drizzle condition; returns how many matched. */
  protected async updateWhere(where: SQL | undefined, set: Partial<TInsert> | Record<string, unknown>): Promise<number> {
    return this.session.updateRows(this.table, this.withUpdatedAt(set), this.live(where))
  }

  /**
   * Updates row `id` when it also meets `condition`, and returns it as it is afterwards (or
   * `undefined` when it did not match): `UPDATE … RETURNING` where the dialect has it, else the
   * UPDATE and a read in one transaction, so the row read is the row this update left.
   */
  protected async updateByIdReturning(id: RowId, condition: SQL | undefined, set: Partial<TInsert> | Record<string, unknown>): Promise<TRow | undefined> {
    const values = this.withUpdatedAt(set)
    const where = this.live(and(eq(this.primaryKey.column, id), condition))
    if (this.session.updateReturnsRows) return (await this.session.updateRowsReturning(this.table, values, where))[0] as TRow | undefined
    return this.session.transaction(async (tx) => {
      if ((await tx.updateRows(this.table, values, where)) === 0) return undefined
      // Read back by id alone: the update may have changed what `condition` looks at.
      const [row] = await tx.selectRows(this.table, { where: eq(this.primaryKey.column, id) })
      return row as TRow | undefined
    })
  }

  private withUpdatedAt(set: object): Record<string, unknown> {
    const values = this.checkedValues(set)
    return this.columns.updatedAt !== undefined ? { updatedAt: this.now(), ...values } : values
  }

  /** Deletes (softly when possible) rows matching a drizzle condition; returns how many. */
  protected async deleteWhere(where: SQL | undefined): Promise<number> {
    if (this.softDeleteColumn === undefined) return this.session.deleteRows(this.table, where)
    // A soft delete only touches live rows, so deleting twice counts once.
    return this.session.updateRows(this.table, { [SOFT_DELETE_KEY]: this.now() }, this.live(where))
  }

  private withTimestamps(values: TInsert): Record<string, unknown> {
    const now = this.now()
    const stamps = Object.fromEntries(TIMESTAMP_KEYS.filter((key) => this.columns[key] !== undefined).map((key) => [key, now]))
    return { ...stamps, ...this.checkedValues(values) }
  }

  /** Rows as given: an array (each row is checked as it is read). */
  protected checkedList<T>(rows: ReadonlyArray<T>): ReadonlyArray<T> {
    const given: unknown = rows
    if (!Array.isArray(given)) throw new InvalidJobValueError(getTableName(this.table), rows, 'expected an array of rows.')
    return rows
  }

  /** A row's values as given: an object of column values (each is checked by the session). */
  protected checkedValues(values: object): Record<string, unknown> {
    if (!isPlainObject(values)) {
      throw new InvalidJobValueError(getTableName(this.table), values, 'expected an object of column values, e.g. { name: "import" }.')
    }
    return values
  }
}
