/**
 * How the job-runner layer runs a unit of work in a transaction: the outermost transaction is
 * retried whole (its callback runs again) when it fails on a conflict, a bounded number of times
 * with jittered, doubling backoff; a nested unit is a savepoint and is never retried on its own,
 * since a conflict aborts the enclosing transaction too.
 */
import { DEFAULT_CONFLICT_RETRY_OPTIONS, runWithConflictRetry, type SqlSession } from '../sql/index.js'
import { InvalidJobOptionError, TransactionConflictError } from './errors.js'

/** How often a conflicting transaction runs again. */
export type TransactionRetryOptions = {
  /** How many times the whole transaction may run (default 5; 1 means no retry). */
  readonly maxAttempts?: number
  /** The first backoff in milliseconds, doubled per attempt with up to 100 % jitter (default 5). */
  readonly baseDelayMs?: number
}

// Sessions handed to a transaction's callback: a unit of work on one of them is nested.
const transactionSessions = new WeakSet<SqlSession>()

function checkedRetryOptions(options: TransactionRetryOptions) {
  const { maxAttempts = DEFAULT_CONFLICT_RETRY_OPTIONS.maxAttempts, baseDelayMs = DEFAULT_CONFLICT_RETRY_OPTIONS.baseDelayMs } = options
  if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new InvalidJobOptionError('maxAttempts', maxAttempts, 'expected an integer of at least 1 (1 runs the transaction once, without retries).')
  }
  if (!(typeof baseDelayMs === 'number' && Number.isFinite(baseDelayMs) && baseDelayMs >= 0)) {
    throw new InvalidJobOptionError('baseDelayMs', baseDelayMs, 'expected a number of milliseconds of at least 0.')
  }
  return { maxAttempts, baseDelayMs }
}

/** Whether `session` runs on a transaction (so a unit of work on it is a savepoint). */
export function isTransactionSession(session: SqlSession): boolean {
  return transactionSessions.has(session)
}

/**
 * Runs `fn` on a transaction of `session`: the whole transaction again on a conflict when it is
 * the outermost one, then a {@link TransactionConflictError}; a savepoint when `session` is a
 * transaction already.
 */
export async function runTransaction<T>(session: SqlSession, fn: (tx: SqlSession) => Promise<T>, options: TransactionRetryOptions = {}): Promise<T> {
  const retry = checkedRetryOptions(options)
  const unit = () =>
    session.transaction(async (tx) => {
      transactionSessions.add(tx)
      return fn(tx)
    })
  if (isTransactionSession(session)) return unit()
  return runWithConflictRetry(unit, session.errorCodes, retry, (error, attempts) => new TransactionConflictError(attempts, error))
}
