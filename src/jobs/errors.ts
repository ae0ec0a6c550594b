/**
 * The refusals of the job-runner layer: an argument that cannot be stored or compared exactly on
 * every dialect is refused before any SQL runs, with an error that names the field, shows the
 * value and says what to pass instead. Every one is a non-retryable {@link DurableExecutionError}
 * (running the same call again cannot succeed), so an executor does not retry a task for it.
 */
import { DurableExecutionError } from '../core/errors.js'

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
