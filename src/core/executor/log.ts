/**
 * The executor's log: lines filtered by level, each with a message that names the execution and
 * task ids in words and a context with the same fields for structured loggers. Errors are
 * described here, once, so no line carries a driver error's chain of causes (which holds the
 * statement and its parameters) or a task's input.
 */
import { convertErrorToDurableExecutionError, DurableExecutionError } from '../errors.js'
import { isDatabaseUnreachableError } from '../batching/storage-health.js'
import type { DurableExecutorLogContext, DurableExecutorLogger, DurableExecutorLogLevel } from './types.js'

const LOG_LEVEL_ORDER: Record<DurableExecutorLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/**
 * How a log line shows an error: one line for the library's own errors (whose messages say what
 * failed and where; a storage error's cause is only a summary of the driver's error), the stack
 * for anything else, and never the chain of causes.
 */
export function describeErrorForLog(error: unknown): string {
  try {
    if (error instanceof DurableExecutionError) return `${error.name}: ${error.message}`
    if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
    return convertErrorToDurableExecutionError(error).message
  } catch {
    return 'an error that cannot be described'
  }
}

/** The message with its context's error appended, for loggers that print only a string. */
function withError(message: string, context: DurableExecutorLogContext | undefined): string {
  return context?.error === undefined ? message : `${message}: ${context.error}`
}

/** The default logger: the console, one string per line (the ids are in the message). */
const CONSOLE_LOGGER: DurableExecutorLogger = {
  debug: (message, context) => console.debug(withError(message, context)),
  info: (message, context) => console.info(withError(message, context)),
  warn: (message, context) => console.warn(withError(message, context)),
  error: (message, context) => console.error(withError(message, context)),
}

/** Level-filtered logging for one executor. */
export class ExecutorLog {
  private readonly logger: DurableExecutorLogger
  private readonly minLevel: number

  /**
   * @param logger - where lines go; the console when absent.
   * @param level - the lowest level written.
   * @param executorId - added to every line's context.
   */
  constructor(
    logger: DurableExecutorLogger | undefined,
    level: DurableExecutorLogLevel,
    private readonly executorId: string,
  ) {
    this.logger = logger ?? CONSOLE_LOGGER
    this.minLevel = LOG_LEVEL_ORDER[level]
  }

  /** Whether debug lines are written (to skip building them otherwise). */
  get isDebugEnabled(): boolean {
    return this.minLevel <= LOG_LEVEL_ORDER.debug
  }

  private contextOf(context: DurableExecutorLogContext | undefined, error?: unknown): DurableExecutorLogContext {
    const withExecutor = { ...context, executorId: this.executorId }
    return error === undefined ? withExecutor : { ...withExecutor, error: describeErrorForLog(error) }
  }

  /** Writes a debug line. */
  debug(message: string, context?: DurableExecutorLogContext): void {
    if (this.minLevel <= LOG_LEVEL_ORDER.debug) this.logger.debug(message, this.contextOf(context))
  }

  /** Writes an info line. */
  info(message: string, context?: DurableExecutorLogContext): void {
    if (this.minLevel <= LOG_LEVEL_ORDER.info) this.logger.info(message, this.contextOf(context))
  }

  /** Writes a warning (to `error` when the logger has no `warn`), with `error` described. */
  warn(message: string, context?: DurableExecutorLogContext, error?: unknown): void {
    if (this.minLevel > LOG_LEVEL_ORDER.warn) return
    const full = this.contextOf(context, error)
    if (this.logger.warn) this.logger.warn(message, full)
    else this.logger.error(message, full)
  }

  /**
   * Writes an error line, with `error` described; a debug line when `error` only says the
   * database is unreachable (the storage layer logs an outage once when it starts and once when
   * it ends).
   */
  error(message: string, error?: unknown, context?: DurableExecutorLogContext): void {
    if (error !== undefined && isDatabaseUnreachableError(error)) {
      if (this.isDebugEnabled) this.logger.debug(message, this.contextOf(context, error))
      return
    }
    this.logger.error(message, this.contextOf(context, error))
  }
}
