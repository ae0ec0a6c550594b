/**
 * Whether the database answers, as the storage calls see it: one line when a call first finds it
 * unreachable (a lost connection or a refused one, naming the operation, the table and the
 * driver's words), and one when calls succeed again with no such failure for a second, with how
 * long it was away (so a half-broken pool, whose calls fail and succeed in turn, logs no more).
 * Every failure in between is only the retry's business, so an outage does not flood the log.
 */
import { DurableExecutionStorageError } from '../errors.js'

/** Where the two lines go. */
export type StorageHealthLogger = {
  error(message: string): void
  info(message: string): void
}

/** Whether `error` says that the database could not be reached. */
export function isDatabaseUnreachableError(error: unknown): boolean {
  return error instanceof DurableExecutionStorageError && error.kind === 'connection_lost'
}

/** How long calls must go without finding the database unreachable before it counts as back. */
export const STORAGE_BACK_AFTER_QUIET_MS = 1_000

/** Tracks reachability across storage calls. */
export class StorageHealth {
  private unreachableSince: number | undefined
  private lastUnreachableAt = 0

  /** @param logger - receives the outage's first and last line. */
  constructor(private readonly logger: StorageHealthLogger) {}

  /** Whether the last call found the database unreachable. */
  get isUnreachable(): boolean {
    return this.unreachableSince !== undefined
  }

  /** A call answered. */
  recordSuccess(): void {
    if (this.unreachableSince === undefined) return
    const now = Date.now()
    if (now - this.lastUnreachableAt < STORAGE_BACK_AFTER_QUIET_MS) return
    const awayMs = now - this.unreachableSince
    this.unreachableSince = undefined
    this.logger.info(`The database is reachable again, after ${(awayMs / 1000).toFixed(1)} s`)
  }

  /** A call failed with `error`. */
  recordFailure(error: unknown): void {
    if (!isDatabaseUnreachableError(error)) return
    this.lastUnreachableAt = Date.now()
    if (this.unreachableSince !== undefined) return
    this.unreachableSince = this.lastUnreachableAt
    this.logger.error(
      `The database is unreachable; storage calls are retried until it is back: ${(error as Error).message}`,
    )
  }
}
