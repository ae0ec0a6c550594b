/**
 * Validation of task-executions table names. A name is only ever passed to drizzle, which quotes
 * it; validating it keeps every derived index name (`ix_<table>_<suffix>`) inside the dialect's
 * identifier limit and gives a clear error instead of a confusing one from the database.
 */
import { InvalidTableNameError } from '../core/index.js'
import { LONGEST_INDEX_SUFFIX_LENGTH } from './columns.js'

/** What a dialect allows in a table name. */
export type TableNameRules = {
  /** Named in error messages, e.g. `PostgreSQL`. */
  readonly dialectName: string
  /** The longest identifier the database keeps without truncating it. */
  readonly maxIdentifierLength: number
  /** Whether `schema.table` is accepted. */
  readonly allowsSchema: boolean
  /** A prefix the database keeps for its own tables (`sqlite_`), refused whatever its case. */
  readonly reservedTablePrefix?: string
  /** The schema a bare name lives in (`public`): `public.x` is the table `x` there. */
  readonly defaultSchema?: string
  /** A prefix the database keeps for its own schemas (`pg_`), refused whatever its case. */
  readonly reservedSchemaPrefix?: string
}

/** Schemas every dialect with schemas keeps for itself. */
const RESERVED_SCHEMAS = ['information_schema']

/** A validated table name, split into its optional schema and the table itself. */
export type ParsedTableName = {
  readonly schema: string | undefined
  readonly table: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The longest table name whose index names all fit the dialect's identifier limit. */
export function maxTaskExecutionsTableNameLength(rules: TableNameRules): number {
  return rules.maxIdentifierLength - 'ix_'.length - '_'.length - LONGEST_INDEX_SUFFIX_LENGTH
}

/**
 * Checks a table name against the dialect's rules and splits off the schema.
 * @throws InvalidTableNameError when the name is not a string, holds other characters, is too long, or is one the
 *   database keeps for itself (whose DDL would fail).
 */
export function parseTaskExecutionsTableName(tableName: unknown, rules: TableNameRules): ParsedTableName {
  const maxLength = maxTaskExecutionsTableNameLength(rules)
  const parts = typeof tableName === 'string' ? tableName.split('.') : []
  const table = parts.at(-1) ?? ''
  const schema = parts.length === 2 ? parts[0] : undefined
  const isWellFormed =
    (parts.length === 1 || (parts.length === 2 && rules.allowsSchema)) &&
    parts.every((part) => IDENTIFIER.test(part) && part.length <= rules.maxIdentifierLength)
  if (isWellFormed && table.length <= maxLength) {
    refuseReservedName(tableName as string, schema, table, rules)
    return { schema: schema === rules.defaultSchema ? undefined : schema, table }
  }
  const schemaHint = rules.allowsSchema ? ', optionally prefixed by a schema as "schema.table"' : ''
  throw new InvalidTableNameError(
    `Invalid task executions table name ${describeName(tableName)} for ${rules.dialectName}: ` +
      `use letters, digits and underscores, starting with a letter or underscore${schemaHint}, ` +
      `with at most ${maxLength} characters for the table itself so that every index name ` +
      `"ix_<table>_<suffix>" fits the ${rules.maxIdentifierLength}-character identifier limit.`,
    tableName,
  )
}

function refuseReservedName(tableName: string, schema: string | undefined, table: string, rules: TableNameRules): void {
  const startsWith = (name: string, prefix: string | undefined) =>
    prefix !== undefined && name.toLowerCase().startsWith(prefix)
  const reservedPart =
    startsWith(table, rules.reservedTablePrefix) ? `a table name starting with "${rules.reservedTablePrefix}"`
    : schema !== undefined && (startsWith(schema, rules.reservedSchemaPrefix) || RESERVED_SCHEMAS.includes(schema.toLowerCase()))
      ? `the schema "${schema}"`
      : undefined
  if (reservedPart === undefined) return
  throw new InvalidTableNameError(
    `Invalid task executions table name ${describeName(tableName)} for ${rules.dialectName}: ` +
      `${reservedPart} is reserved for the database's own tables, so creating it would fail. Choose another name.`,
    tableName,
  )
}

/** The name as a message shows it: a string quoted, anything else by its type. */
function describeName(tableName: unknown): string {
  return typeof tableName === 'string' ? JSON.stringify(tableName) : `of type ${tableName === null ? 'null' : typeof tableName}`
}
