/**
 * The error classes of the contract (spec 1.8), their JSON storage value, and the normalisation
 * of arbitrary thrown values into them. Messages and flags here are relied on by users and tests.
 */

/** The classification of a {@link DurableExecutionError}; there are no numeric codes. */
export type DurableExecutionErrorType = 'generic' | 'not_found' | 'timed_out' | 'cancelled'

/** How an error is persisted: exactly these four keys. `cause` is never persisted. */
export type DurableExecutionErrorStorageValue = {
  errorType: DurableExecutionErrorType
  message: string
  isRetryable: boolean
  isInternal: boolean
}

/** Options of the {@link DurableExecutionError} constructor. */
export type DurableExecutionErrorOptions = {
  /** Whether the executor may retry the run that threw it. Defaults to `false`. */
  isRetryable?: boolean
  /** Whether the error comes from the library rather than from task code. Defaults to `false`. */
  isInternal?: boolean
  /** The underlying error, kept in memory only. */
  cause?: unknown
}

/** The base error of durable execution. Every error the library raises is an instance of it. */
export class DurableExecutionError extends Error {
  /** Whether the executor may retry the run that failed with this error. */
  readonly isRetryable: boolean
  /** Whether the error comes from the library rather than from task code. */
  readonly isInternal: boolean

  /**
   * @param message - what went wrong.
   * @param options - retryability, origin and cause.
   */
  constructor(message: string, options: DurableExecutionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.isRetryable = options.isRetryable ?? false
    this.isInternal = options.isInternal ?? false
  }

  /** A retryable generic error. */
  static retryable(
    message: string,
    options: Omit<DurableExecutionErrorOptions, 'isRetryable'> = {},
  ): DurableExecutionError {
    return new DurableExecutionError(message, { ...options, isRetryable: true })
  }

  /** A non-retryable generic error. */
  static nonRetryable(
    message: string,
    options: Omit<DurableExecutionErrorOptions, 'isRetryable'> = {},
  ): DurableExecutionError {
    return new DurableExecutionError(message, { ...options, isRetryable: false })
  }

  /** The classification stored with the error. */
  getErrorType(): DurableExecutionErrorType {
    return 'generic'
  }
}

/** Something looked up (a task, an execution) does not exist. Never retryable. */
export class DurableExecutionNotFoundError extends DurableExecutionError {
  /**
   * @param message - what was not found, with its id.
   * @param options - the cause.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, isRetryable: false, isInternal: false })
  }

  override getErrorType(): DurableExecutionErrorType {
    return 'not_found'
  }
}

/** A run exceeded its timeout. Always retryable. */
export class DurableExecutionTimedOutError extends DurableExecutionError {
  /**
   * @param message - defaults to `Task execution timed out`.
   * @param options - the cause.
   */
  constructor(message = 'Task execution timed out', options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, isRetryable: true, isInternal: false })
  }

  override getErrorType(): DurableExecutionErrorType {
    return 'timed_out'
  }
}

/** An execution was cancelled. Never retryable. */
export class DurableExecutionCancelledError extends DurableExecutionError {
  /**
   * @param message - defaults to `Task execution cancelled`.
   * @param options - the cause.
   */
  constructor(message = 'Task execution cancelled', options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, isRetryable: false, isInternal: false })
  }

  override getErrorType(): DurableExecutionErrorType {
    return 'cancelled'
  }
}

/**
 * What kind of fault a storage met, as classified once at the SQL seam: a lost connection, a
 * conflict between transactions (deadlock, serialization failure, busy database), a violated
 * constraint, or anything else. Lost connections and conflicts are worth retrying.
 */
export type DurableExecutionStorageFaultKind =
  | 'connection_lost'
  | 'conflict'
  | 'unique_violation'
  | 'check_violation'
  | 'not_null_violation'
  | 'foreign_key_violation'
  | 'invalid_value'
  | 'other'

/**
 * A storage call failed in the database or on the way to it. The message names the operation,
 * the table and the driver's own words, never the statement's parameters; `kind` says what kind
 * of fault it was. Lost connections and conflicts are retryable, constraint violations are not,
 * and anything else is retryable (spec 2.6). `cause` holds a summary of the driver's error (its
 * message and code), not the driver's error itself, which may carry every parameter.
 */
export class DurableExecutionStorageError extends DurableExecutionError {
  /** What kind of fault it was. */
  readonly kind: DurableExecutionStorageFaultKind

  /**
   * @param message - what failed, where, and the driver's words.
   * @param kind - the kind of fault.
   * @param options - the (summarised) cause; retryability follows from `kind` unless given.
   */
  constructor(
    message: string,
    kind: DurableExecutionStorageFaultKind,
    options: { cause?: unknown; isRetryable?: boolean } = {},
  ) {
    super(message, {
      cause: options.cause,
      isRetryable: options.isRetryable ?? isRetryableStorageFault(kind),
      isInternal: true,
    })
    this.kind = kind
  }
}

/**
 * A storage was called with a value that breaks the storage contract's rules (a wrong type, a
 * number out of its column's range, a string no dialect stores exactly, an unknown status). It is
 * refused before any SQL, the same way on every backend, and nothing is written; it is never
 * retryable. `field` is the path of the bad value in the call's arguments.
 */
export class InvalidStorageValueError extends DurableExecutionStorageError {
  /** The storage method that was called. */
  readonly operation: string
  /** Where the bad value sits in the call's arguments, e.g. `requests[0].update.status`. */
  readonly field: string

  /**
   * @param operation - the storage method that was called.
   * @param field - the path of the bad value.
   * @param problem - what is wrong with it, and what to send instead where that helps.
   */
  constructor(operation: string, field: string, problem: string) {
    super(
      `Invalid value in a ${operation} call: ${field} ${problem}. Nothing was written; ` +
        'send values of the storage contract\'s types (see TaskExecutionStorageValue).',
      'invalid_value',
      { isRetryable: false },
    )
    this.operation = operation
    this.field = field
  }
}

/**
 * A table factory was given a name it cannot create: other characters than letters, digits and
 * underscores, too long for the dialect's index names, or reserved by the database. Thrown when
 * the table is declared, before any SQL; never retryable.
 */
export class InvalidTableNameError extends DurableExecutionError {
  /** The name as given. */
  readonly tableName: unknown

  /**
   * @param message - what is wrong with the name and what to use instead.
   * @param tableName - the name as given.
   */
  constructor(message: string, tableName: unknown) {
    super(message, { isRetryable: false, isInternal: false })
    this.tableName = tableName
  }
}

/** Whether a storage fault of this kind may go away when the call is made again. */
export function isRetryableStorageFault(kind: DurableExecutionStorageFaultKind): boolean {
  return kind === 'connection_lost' || kind === 'conflict' || kind === 'other'
}

/** Options of {@link convertErrorToDurableExecutionError}. */
export type ConvertErrorOptions = {
  /** Overrides retryability of generic errors (and of non-library errors, which default to `true`). */
  isRetryable?: boolean
  /** Overrides the internal flag of generic errors. */
  isInternal?: boolean
  /** Prepended to the message as `<prefix>: <message>`. */
  prefix?: string
}

/** The message of a thrown value that cannot be described (a throwing getter, a hostile Proxy…). */
function undescribableMessage(error: unknown): string {
  return `A value that cannot be described was thrown [type=${typeof error}]`
}

function messageOf(error: unknown): string {
  // Any step may throw for a hostile value (getters, Proxies, objects without a prototype).
  try {
    if (error instanceof Error) return String(error.message)
    if (typeof error === 'string') return error
    if (error != null && typeof error === 'object' && 'message' in error) {
      const message = error.message
      if (typeof message === 'string') return message
    }
    const text = JSON.stringify(error)
    return text ?? String(error)
  } catch {
    try {
      return String(error)
    } catch {
      return undescribableMessage(error)
    }
  }
}

/**
 * Turns any thrown value into a {@link DurableExecutionError} (spec 1.8.3). Library errors keep
 * their class; anything else becomes a generic error that is retryable unless overridden.
 */
export function convertErrorToDurableExecutionError(
  error: unknown,
  options: ConvertErrorOptions = {},
): DurableExecutionError {
  const withPrefix = (message: string) =>
    options.prefix ? `${options.prefix}: ${message}` : message
  try {
    return convertDescribableError(error, options, withPrefix)
  } catch {
    // Even `instanceof` throws for some Proxies: such a value is stored by its placeholder.
    return new DurableExecutionError(withPrefix(undescribableMessage(error)), {
      isRetryable: options.isRetryable ?? true,
      isInternal: options.isInternal ?? false,
    })
  }
}

function convertDescribableError(
  error: unknown,
  options: ConvertErrorOptions,
  withPrefix: (message: string) => string,
): DurableExecutionError {
  if (error instanceof DurableExecutionNotFoundError) {
    return new DurableExecutionNotFoundError(withPrefix(error.message), { cause: error.cause })
  }
  if (error instanceof DurableExecutionTimedOutError) {
    return new DurableExecutionTimedOutError(withPrefix(error.message), { cause: error.cause })
  }
  if (error instanceof DurableExecutionCancelledError) {
    return new DurableExecutionCancelledError(withPrefix(error.message), { cause: error.cause })
  }
  if (error instanceof DurableExecutionError) {
    if (
      !options.prefix &&
      options.isRetryable === undefined &&
      options.isInternal === undefined
    ) {
      return error
    }
    return new DurableExecutionError(withPrefix(error.message), {
      cause: error.cause,
      isRetryable: options.isRetryable ?? error.isRetryable,
      isInternal: options.isInternal ?? error.isInternal,
    })
  }
  return new DurableExecutionError(withPrefix(messageOf(error)), {
    cause: error,
    isRetryable: options.isRetryable ?? true,
    isInternal: options.isInternal ?? false,
  })
}

/**
 * The longest error message stored, in UTF-16 code units: a longer one keeps its first part and
 * ends with a marker saying how long it was. A message is for people; megabytes of it would only
 * strain the database (and MariaDB's packet limit).
 */
export const MAX_STORED_ERROR_MESSAGE_LENGTH = 16_384

// A lone surrogate half: MariaDB's JSON check rejects it, and PostgreSQL replaces it anyway.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * The message as stored: lone surrogate halves become U+FFFD on every dialect (a message is text
 * for people, and MariaDB cannot store them in JSON), and a message over
 * {@link MAX_STORED_ERROR_MESSAGE_LENGTH} is cut with a marker.
 */
export function toStoredErrorMessage(message: string): string {
  const text = typeof message === 'string' ? message : String(message)
  if (text.length <= MAX_STORED_ERROR_MESSAGE_LENGTH) return text.replace(LONE_SURROGATE, '\uFFFD')
  const marker = ` … [message cut: ${text.length} characters in all]`
  let kept = text.slice(0, MAX_STORED_ERROR_MESSAGE_LENGTH - marker.length)
  // Never end on the first half of a pair that the cut separated.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1)
  return `${kept.replace(LONE_SURROGATE, '\uFFFD')}${marker}`
}

/** The JSON value persisted for an error (its message as {@link toStoredErrorMessage} keeps it). */
export function convertDurableExecutionErrorToStorageValue(
  error: DurableExecutionError,
): DurableExecutionErrorStorageValue {
  return {
    errorType: error.getErrorType(),
    message: toStoredErrorMessage(error.message),
    isRetryable: error.isRetryable,
    isInternal: error.isInternal,
  }
}

/** Rebuilds an error of the right class from its storage value. */
export function convertStorageValueToDurableExecutionError(
  value: DurableExecutionErrorStorageValue,
): DurableExecutionError {
  switch (value.errorType) {
    case 'not_found':
      return new DurableExecutionNotFoundError(value.message)
    case 'timed_out':
      return new DurableExecutionTimedOutError(value.message)
    case 'cancelled':
      return new DurableExecutionCancelledError(value.message)
    default:
      return new DurableExecutionError(value.message, {
        isRetryable: value.isRetryable,
        isInternal: value.isInternal,
      })
  }
}
