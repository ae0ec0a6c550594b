/**
 * Database errors classified once into a closed set (design.md "Errors"), by walking the chain of
 * causes drizzle and the drivers build (`DrizzleQueryError.cause`, `AggregateError.errors`); the
 * storage's own retry of deadlocks and serialization failures; and the messages callers see.
 */
import {
  DurableExecutionError,
  DurableExecutionStorageError,
  type DurableExecutionStorageFaultKind,
} from '../core/index.js'

/** What went wrong, as far as a storage needs to know. */
export type DatabaseErrorKind = DurableExecutionStorageFaultKind

/** A dialect's driver codes per kind (SQLSTATE, errno or code names; any matching field counts). */
export type DatabaseErrorCodes = {
  readonly uniqueViolation: ReadonlyArray<string | number>
  readonly checkViolation: ReadonlyArray<string | number>
  readonly notNullViolation: ReadonlyArray<string | number>
  readonly foreignKeyViolation: ReadonlyArray<string | number>
  /** Deadlocks, serialization failures, busy databases: safe to retry the whole transaction. */
  readonly conflict: ReadonlyArray<string | number>
  readonly connectionLost: ReadonlyArray<string | number>
  /** Messages of connection failures that carry no code (e.g. node-postgres). */
  readonly connectionLostMessages: ReadonlyArray<RegExp>
  /** `ALTER TABLE … ADD COLUMN` of a column the table has (runtime DDL adds columns this way). */
  readonly duplicateColumn: ReadonlyArray<string | number | RegExp>
  /** A statement names an index the table lacks (only MySQL's claims name theirs: `FORCE INDEX`). */
  readonly missingIndex?: ReadonlyArray<string | number>
  /** `CREATE INDEX` of an index the table has (only MySQL creates indexes without `IF NOT EXISTS`). */
  readonly duplicateIndex?: ReadonlyArray<string | number>
}

/** Socket-level failures that mean the same on every dialect. */
const NETWORK_ERROR_CODES: ReadonlyArray<string> = [
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]

const CODE_FIELDS = ['code', 'errno', 'extendedCode'] as const

/** The error and every error it wraps, outermost first; cycles are cut. */
export function errorChain(error: unknown): Array<Record<string, unknown>> {
  const chain: Array<Record<string, unknown>> = []
  const pending: Array<unknown> = [error]
  while (pending.length > 0 && chain.length < 20) {
    const current = pending.shift()
    if (current == null || typeof current !== 'object' || chain.includes(current as never)) continue
    const record = current as Record<string, unknown>
    chain.push(record)
    pending.push(record.cause)
    if (Array.isArray(record.errors)) pending.push(...(record.errors as Array<unknown>))
  }
  return chain
}

function codesOf(error: Record<string, unknown>): Array<unknown> {
  return CODE_FIELDS.map((field) => error[field]).filter((code) => code !== undefined)
}

/** Whether `error` or an error it wraps carries one of `codes`. */
export function hasErrorCode(error: unknown, codes: ReadonlyArray<unknown>): boolean {
  return errorChain(error).some((entry) => codesOf(entry).some((code) => codes.includes(code)))
}

/** Whether `error` says that a column being added exists already. */
export function isDuplicateColumnError(error: unknown, codes: DatabaseErrorCodes): boolean {
  const chain = errorChain(error)
  return codes.duplicateColumn.some((expected) =>
    chain.some((entry) =>
      expected instanceof RegExp
        ? typeof entry.message === 'string' && expected.test(entry.message)
        : codesOf(entry).includes(expected),
    ),
  )
}

/** Classifies an error with a dialect's codes. */
export function classifyDatabaseError(error: unknown, codes: DatabaseErrorCodes): DatabaseErrorKind {
  const chain = errorChain(error)
  const allCodes = new Set(chain.flatMap(codesOf))
  const hasCode = (list: ReadonlyArray<unknown>) => list.some((code) => allCodes.has(code))
  if (hasCode(codes.uniqueViolation)) return 'unique_violation'
  if (hasCode(codes.checkViolation)) return 'check_violation'
  if (hasCode(codes.notNullViolation)) return 'not_null_violation'
  if (hasCode(codes.foreignKeyViolation)) return 'foreign_key_violation'
  if (hasCode(codes.conflict)) return 'conflict'
  const messages = chain.map((entry) => (typeof entry.message === 'string' ? entry.message : ''))
  if (
    hasCode(codes.connectionLost) ||
    hasCode(NETWORK_ERROR_CODES) ||
    messages.some((message) => codes.connectionLostMessages.some((pattern) => pattern.test(message)))
  ) {
    return 'connection_lost'
  }
  return 'other'
}

/**
 * The driver's own words for an error: the innermost non-empty message (drizzle's outer message
 * repeats the query and every parameter, which can be megabytes of input), with its code and the
 * PostgreSQL detail when it names a key (`Key (column)=(value) …`). Other details are left out:
 * "Failing row contains (…)" prints every value of the row.
 */
export function describeDatabaseError(error: unknown): string {
  const chain = errorChain(error)
  const described = chain
    .filter((entry) => typeof entry.message === 'string' && entry.message !== '')
    .filter((entry) => !String(entry.message).startsWith('Failed query:'))
  const innermost = described.at(-1) ?? chain.at(-1)
  if (!innermost) return String(error)
  const code = chain.map((entry) => entry.code).find((value) => value !== undefined)
  const detail = typeof innermost.detail === 'string' && innermost.detail.startsWith('Key (') ? ` ${innermost.detail}` : ''
  const message = typeof innermost.message === 'string' && innermost.message !== '' ? innermost.message : ''
  const codeText = typeof code === 'string' || typeof code === 'number' ? ` [code=${code}]` : ''
  return `${message || 'unknown error'}${detail}${codeText}`
}

/** How often and how fast the storage retries a unit of work that hit a conflict. */
export type ConflictRetryOptions = {
  readonly maxAttempts: number
  readonly baseDelayMs: number
}

/** Five attempts, starting at 5 ms and doubling, with jitter so that two losers do not collide again. */
export const DEFAULT_CONFLICT_RETRY_OPTIONS: ConflictRetryOptions = { maxAttempts: 5, baseDelayMs: 5 }

/**
 * Runs a unit of work (one statement outside a transaction, or one whole transaction) and retries
 * it while it fails with a deadlock, a serialization failure or a busy database. Such a failure
 * rolled the unit back, so running it again is safe. When the attempts run out, throws what
 * `exhausted` makes of the last conflict (by default the conflict itself).
 */
export async function runWithConflictRetry<T>(
  run: () => Promise<T>,
  codes: DatabaseErrorCodes,
  options: ConflictRetryOptions = DEFAULT_CONFLICT_RETRY_OPTIONS,
  exhausted: (error: unknown, attempts: number) => unknown = (error) => error,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (classifyDatabaseError(error, codes) !== 'conflict') throw error
      if (attempt >= options.maxAttempts) throw exhausted(error, attempt)
      const delayMs = options.baseDelayMs * 2 ** (attempt - 1) * (1 + Math.random())
      await new Promise((resolve) => setTimeout(resolve, delayMs))
    }
  }
}

/** Where an error happened, for messages. */
export type StorageErrorContext = {
  readonly dialectName: string
  readonly tableName: string
  readonly operation: string
}

/**
 * A summary of a driver error that is safe to keep and log: the driver's own words and code, but
 * none of the statement text or parameters that drizzle's `DrizzleQueryError` and mysql2's
 * `sql` field carry (they may hold a task's data).
 */
export function summarizeDatabaseError(error: unknown): Error {
  const summary = new Error(describeDatabaseError(error))
  summary.name = 'DatabaseError'
  const code = databaseErrorCode(error)
  if (code !== undefined) Object.assign(summary, { code })
  return summary
}

/** The driver's code of an error (SQLSTATE, errno name), the outermost one along its causes. */
export function databaseErrorCode(error: unknown): string | number | undefined {
  const code = errorChain(error).map((entry) => entry.code).find((value) => value !== undefined)
  return typeof code === 'string' || typeof code === 'number' ? code : undefined
}

/**
 * The error a storage method throws: library errors pass through; a database error becomes a
 * {@link DurableExecutionStorageError} of its kind, naming the operation, the table and the
 * driver's words (a lost connection says so, with what to check). Its `cause` is the
 * {@link summarizeDatabaseError | summary} of the driver's error, never the error itself.
 */
export function toStorageError(
  error: unknown,
  codes: DatabaseErrorCodes,
  context: StorageErrorContext,
): DurableExecutionError {
  if (error instanceof DurableExecutionError) return error
  const where = `${context.operation} on ${context.dialectName} table "${context.tableName}"`
  const kind = classifyDatabaseError(error, codes)
  const cause = summarizeDatabaseError(error)
  if (kind === 'connection_lost') {
    return new DurableExecutionStorageError(
      `Lost the connection to the database during ${where}: ${cause.message}. ` +
        'Check that the database is reachable; the executor retries storage calls.',
      kind,
      { cause },
    )
  }
  if (hasErrorCode(error, codes.missingIndex ?? [])) {
    return new DurableExecutionStorageError(
      `${where} failed: ${cause.message}. The table lacks an index this library's statements name: ` +
        "run the dialect's ensure function, which adds the indexes a table lacks, or create the table with the shipped migrations.",
      kind,
      { cause },
    )
  }
  return new DurableExecutionStorageError(`${where} failed: ${cause.message}`, kind, { cause })
}
