/**
 * Input validators of tasks (spec 4.2.5): a user function or a Standard Schema, turned into one
 * async function that returns the validated input or throws the non-retryable
 * `Invalid input to task <id>: <message>`. Validation runs before each run, not at enqueue.
 */
import { convertErrorToDurableExecutionError, DurableExecutionError } from '../errors.js'
import type { StandardSchemaV1, StandardSchemaV1Issue } from './types.js'

/** Transforms a raw input into the validated one, or throws. */
export type InputValidator = (input: unknown) => Promise<unknown>

/** Whether `value` looks like a Standard Schema (has a `~standard` object with `validate`). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  const props = (value as { '~standard'?: unknown })['~standard']
  return (
    typeof props === 'object' &&
    props !== null &&
    typeof (props as { validate?: unknown }).validate === 'function'
  )
}

function formatPath(path: StandardSchemaV1Issue['path']): string | undefined {
  if (!path || path.length === 0) return undefined
  return path
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.')
}

/** One `× <message>` line per issue, each followed by `  → at <dot.path>` when it has a path. */
export function summarizeStandardSchemaIssues(issues: ReadonlyArray<StandardSchemaV1Issue>): string {
  const lines: Array<string> = []
  for (const issue of issues) {
    lines.push(`× ${issue.message}`)
    const path = formatPath(issue.path)
    if (path) lines.push(`  → at ${path}`)
  }
  return lines.join('\n')
}

function invalidInputError(taskId: string, message: string): DurableExecutionError {
  return DurableExecutionError.nonRetryable(`Invalid input to task ${taskId}: ${message}`)
}

/** Wraps a user validation function; whatever it throws becomes the invalid-input error. */
export function createFunctionInputValidator(
  taskId: string,
  validate: (input: never) => unknown,
): InputValidator {
  return async (input) => {
    try {
      return await (validate as (input: unknown) => unknown)(input)
    } catch (error) {
      throw invalidInputError(taskId, convertErrorToDurableExecutionError(error).message)
    }
  }
}

/** Wraps a Standard Schema; its issues become the invalid-input error. */
export function createStandardSchemaInputValidator(
  taskId: string,
  schema: StandardSchemaV1,
): InputValidator {
  return async (input) => {
    let result
    try {
      result = await schema['~standard'].validate(input)
    } catch (error) {
      throw invalidInputError(taskId, convertErrorToDurableExecutionError(error).message)
    }
    if (result.issues) throw invalidInputError(taskId, summarizeStandardSchemaIssues(result.issues))
    return result.value
  }
}
