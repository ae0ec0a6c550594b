/**
 * Whether the database answers, as the storage calls see it: one line when a call first finds it
 * unreachable (a lost connection or a refused one, naming the operation, the table and the
 * driver's words), and one when a call succeeds again, with how long it was away. Every failure in
 * between is only the retry's business, so an outage does not flood the log.
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

/** Tracks reachability across storage calls. */
export class StorageHealth {
  private unreachableSince: number | undefined

  /** @param logger - receives the outage's first and last line. */
  constructor(private readonly logger: StorageHealthLogger) {}

  /** Whether the last call found the database unreachable. */
  get isUnreachable(): boolean {
    return this.unreachableSince !== undefined
  }

  /** A call answered. */
  recordSuccess(): void {
    if (this.unreachableSince === undefined) return
    const awayMs = Date.now() - this.unreachableSince
    this.unreachableSince = undefined
    this.logger.info(`The database is reachable again, after ${(awayMs / 1000).toFixed(1)} s`)
  }

  /** A call failed with `error`. */
  recordFailure(error: unknown): void {
    if (this.unreachableSince !== undefined || !isDatabaseUnreachableError(error)) return
    this.unreachableSince = Date.now()
    this.logger.error(
      `The database is unreachable; storage calls are retried until it is back: ${(error as Error).message}`,
    )
  }
}
