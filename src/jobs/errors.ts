/**
 * The errors of the job-runner layer. Refusals: an argument that cannot be stored or compared
 * exactly on every dialect is refused before any SQL runs, with an error that names the field,
 * shows the value and says what to pass instead; each is a non-retryable
 * {@link DurableExecutionError} (running the same call again cannot succeed), so an executor does
 * not retry a task for it. And {@link TransactionConflictError}: a transaction that kept
 * conflicting after its retries (retryable).
 */
import { DurableExecutionError, DurableExecutionStorageError } from '../core/errors.js'
import { databaseErrorCode, summarizeDatabaseError } from '../sql/errors.js'

const MAX_SHOWN_CHARACTERS = 120

/**
 * A value as messages show it: JSON-like (so a NUL or a lone surrogate shows as an escape), cut
 * after a few dozen characters, and never throwing (whatever the value's getters do).
 */
export function describeValue(value: unknown): string {
  let text: string
  try {
    if (typeof value === 'string') text = JSON.stringify(value)
    else if (typeof value === 'bigint') text = `${value}n`
    else if (typeof value === 'function') text = `a function`
    else if (typeof value === 'symbol') text = value.toString()
    else if (typeof value === 'number') text = Object.is(value, -0) ? '-0' : String(value)
    else if (value === undefined) text = 'undefined'
    else if (value instanceof Date) text = `a Date (${value.toISOString()})`
    else text = JSON.stringify(value) ?? 'undefined'
  } catch {
    const name = (value as { constructor?: { name?: unknown } } | null)?.constructor?.name
    text = typeof name === 'string' && name !== '' ? `a ${name}` : 'an unprintable value'
  }
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  const shown = text.length > MAX_SHOWN_CHARACTERS ? `${text.slice(0, MAX_SHOWN_CHARACTERS)}… (${text.length} characters)` : text
  return `${shown} (${kind})`
}

/**
 * An argument of a job-repository call was refused before any SQL ran; nothing was written.
 * `field` names what was wrong (`workflows.name`, `where.status`, `limit`, …) and `value` holds
 * what was given.
 */
export class JobInputError extends DurableExecutionError {
  /** What was refused, e.g. `workflows.name` or `where.toString`. */
  readonly field: string
  /** The refused value as given. */
  readonly value: unknown

  /**
   * @param field - what was refused.
   * @param value - the refused value.
   * @param problem - what is wrong with it and what to do, as one or two sentences.
   */
  constructor(field: string, value: unknown, problem: string) {
    super(`Invalid ${field} ${describeValue(value)}: ${problem}`, { isRetryable: false, isInternal: false })
    this.field = field
    this.value = value
  }
}

/** A value bound for a column (a row to insert, a value to set, an id or another argument) has the wrong type or content. */
export class InvalidJobValueError extends JobInputError {}

/** A `where` filter or an `orderBy` names no column of the table, uses an unknown operator, or gives an operator the wrong operand. */
export class InvalidJobFilterError extends JobInputError {}

/** An option of a call or of the store (`limit`, `offset`, `includeDeleted`, a table prefix, a lease) is out of its range. */
export class InvalidJobOptionError extends JobInputError {}

/**
 * A unit of work ({@link withTransaction}, or a repository call that runs its own transaction)
 * kept failing on a conflict: a deadlock, a serialization failure, a lock wait timeout or a busy
 * SQLite database. Every attempt was rolled back, so nothing of it was written. It is retryable:
 * running the unit again later may succeed.
 */
export class TransactionConflictError extends DurableExecutionStorageError {
  /** How many times the whole transaction ran. */
  readonly attempts: number
  /** The driver's code of the last conflict (e.g. `40P01`, `ER_LOCK_DEADLOCK`, `SQLITE_BUSY`), when it had one. */
  readonly code: string | number | undefined

  /**
   * @param attempts - how many times the transaction ran.
   * @param cause - the last conflict (a summary of the driver's error is kept, never its SQL).
   */
  constructor(attempts: number, cause: unknown) {
    const code = databaseErrorCode(cause)
    super(
      `The transaction failed on a conflict ${attempts} times in a row (code ${code ?? 'unknown'}: a deadlock, a ` +
        'serialization failure, a lock wait timeout or a busy database); each attempt was rolled back and nothing ' +
        'was written. Run it again later, keep transactions short, touch rows in the same order in every ' +
        'transaction, or allow more attempts (maxAttempts).',
      'conflict',
      { cause: summarizeDatabaseError(cause) },
    )
    this.attempts = attempts
    this.code = code
  }
}
