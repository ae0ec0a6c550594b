/**
 * The errors of `createDatabase`: a URL it cannot use, a driver package that is not installed, a
 * driver that failed to open. Their messages show the URL with its secrets hidden, and their
 * `cause` is a summary of the driver's error (its name, redacted message and code), never the
 * driver's error itself. None is retryable: the same call fails the same way.
 */
import { DurableExecutionError } from '../core/errors.js'
import { redactSecretsOf } from './redact.js'

/** No URL was given, or it is malformed or of an unsupported scheme. `url` is the URL with its secrets hidden. */
export class DatabaseUrlError extends DurableExecutionError {
  /** The URL as shown (secrets hidden), or `undefined` when none was given. */
  readonly url: string | undefined

  /**
   * @param message - what is wrong and what to do.
   * @param url - the URL as shown (secrets hidden).
   */
  constructor(message: string, url: string | undefined) {
    super(message, { isRetryable: false, isInternal: false })
    this.url = url
  }
}

/** The driver package the URL needs is not installed. */
export class DatabaseDriverMissingError extends DurableExecutionError {
  /** The npm package to install. */
  readonly packageName: string

  /**
   * @param message - which URL needed it and how to install it.
   * @param packageName - the npm package to install.
   * @param options - the (summarised) cause.
   */
  constructor(message: string, packageName: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, isRetryable: false, isInternal: false })
    this.packageName = packageName
  }
}

/** The driver failed to open the database (a file it cannot create, an option it refuses). */
export class DatabaseOpenError extends DurableExecutionError {
  /**
   * @param message - what failed, with the driver's words (secrets hidden).
   * @param options - the (summarised) cause.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, isRetryable: false, isInternal: false })
  }
}

/** A driver error reduced to what is safe to keep: its name, its message without the URL's secrets, and its code. */
export function summarizeDriverError(error: unknown, url: string): Error {
  const summary = new Error(redactSecretsOf(error instanceof Error ? error.message : String(error), url))
  summary.name = error instanceof Error ? error.name : 'Error'
  const code = (error as { code?: unknown } | null | undefined)?.code
  if (typeof code === 'string' || typeof code === 'number') Object.assign(summary, { code })
  return summary
}
