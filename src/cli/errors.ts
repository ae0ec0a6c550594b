/**
 * How the command line fails: one line on stderr, exit code 1, no stack. `CliError` is a usage or
 * environment problem the command found itself; the library's errors already say what to do.
 */
import { DurableExecutionError } from '../core/errors.js'

/** A problem with the command's input or environment, with what to do; printed as one line. */
export class CliError extends DurableExecutionError {
  /** @param message - what is wrong and what to do. */
  constructor(message: string) {
    super(message, { isRetryable: false, isInternal: false })
  }
}

/** The one line printed for an error: its message, without stack, on one line. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return `error: ${message.replace(/\s*\n\s*/g, ' ')}`
}
