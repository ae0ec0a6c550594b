/** The demo's errors: refused options, and a batch of the demo's name that the demo did not make. */
import { DurableExecutionError } from '../core/errors.js'

/** A demo option was refused. Not retryable: the same options fail the same way. */
export class DemoOptionError extends DurableExecutionError {
  /**
   * @param option - the option as written on the command line, e.g. `--rows`.
   * @param value - the value given.
   * @param expected - what to pass instead.
   */
  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid ${option} ${JSON.stringify(value)}: ${expected}`, { isRetryable: false, isInternal: false })
  }
}

/** A batch found under the demo's name cannot be the demo's (another program made it). Not retryable. */
export class DemoBatchError extends DurableExecutionError {
  /**
   * @param batch - the batch found.
   * @param problem - what is wrong with it, e.g. `has no workflow`.
   */
  constructor(batch: { readonly id: number; readonly name: string }, problem: string) {
    super(`Batch ${batch.id} ("${batch.name}") ${problem}: it was not created by the demo; pass another --batch name, or --fresh to replace it.`, {
      isRetryable: false,
      isInternal: false,
    })
  }
}

/** The demo's database did not answer when the demo opened it. Not retryable here: the user starts it or picks another. */
export class DemoDatabaseUnreachableError extends DurableExecutionError {
  /**
   * @param shownUrl - the URL with its secrets hidden.
   * @param reason - the driver's words, e.g. `connect ECONNREFUSED 127.0.0.1:5432`.
   * @param options - the cause.
   */
  constructor(shownUrl: string, reason: string, options: { cause?: unknown } = {}) {
    super(
      `Cannot reach the database at ${shownUrl} (${reason}): start it, or pass another --url; without --url and DATABASE_URL the demo uses an embedded SQLite file.`,
      { ...options, isRetryable: false, isInternal: false },
    )
  }
}
