/**
 * The storage contract's value rules, checked before any SQL (spec 1.4, 2.2; beyond upstream): a
 * storage called with a value of the wrong type, out of its column's range, or with a string no
 * dialect stores exactly is refused with an {@link InvalidStorageValueError} naming the field, the
 * same way on every backend, and nothing is written. The rules:
 *
 * - identifiers (task, execution, executor and sleeping-task unique ids, lease tokens): strings
 *   of 1 to 255 UTF-16 code units, well formed (no lone surrogate half) and without U+0000;
 * - serialized payloads (`input`, `runOutput`, `output`): well-formed strings without U+0000
 *   (a JSON serializer escapes both, so only a direct caller meets this rule);
 * - error values: the four keys of the contract, a well-formed message (U+0000 is kept);
 * - statuses: one of the contract's names, compared exactly;
 * - counts: integers from 0 to 2^31 - 1 (a child's index from -1, the finalize child's); claim
 *   limits and milliseconds: safe integers (durations not negative);
 * - flags: booleans; retry options: finite numbers; children and finalize: summaries of ids.
 */
import { InvalidStorageValueError } from './errors.js'
import { ALL_TASK_EXECUTION_STATUSES } from './status.js'
import type {
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
} from './storage.js'

/** The longest identifier, in UTF-16 code units (every dialect's index holds it). */
export const MAX_STORAGE_IDENTIFIER_LENGTH = 255

const MAX_COUNT = 2 ** 31 - 1
const CLOSE_STATUSES = ['idle', 'ready', 'closing', 'closed'] as const
const CHILDREN_PROCESSING_STATUSES = ['idle', 'processing', 'processed'] as const
const ERROR_TYPES = ['generic', 'not_found', 'timed_out', 'cancelled'] as const

/** Checks one value; throws a message fragment saying what is wrong with it. */
type Rule = (value: unknown) => string | undefined

const isWellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

const identifier: Rule = (value) => {
  if (typeof value !== 'string') return `must be a string, not ${describeType(value)}`
  if (value.length === 0 || value.length > MAX_STORAGE_IDENTIFIER_LENGTH) {
    return `must be 1 to ${MAX_STORAGE_IDENTIFIER_LENGTH} characters long, not ${value.length}`
  }
  return textProblem(value, true)
}

const payload: Rule = (value) =>
  typeof value === 'string' ? textProblem(value, true) : `must be a serialized string, not ${describeType(value)}`

const flag: Rule = (value) => (typeof value === 'boolean' ? undefined : `must be a boolean, not ${describeType(value)}`)

const count: Rule = (value) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_COUNT
    ? undefined
    : `must be an integer from 0 to ${MAX_COUNT}, not ${describeNumber(value)}`

const MIN_INTEGER = -(2 ** 31)

/** A position among siblings: the finalize child's is -1. */
const siblingIndex: Rule = (value) =>
  Number.isInteger(value) && (value as number) >= MIN_INTEGER && (value as number) <= MAX_COUNT
    ? undefined
    : `must be an integer from ${MIN_INTEGER} to ${MAX_COUNT}, not ${describeNumber(value)}`

/** A claim's limit: any whole number (zero or less claims nothing). */
const limit: Rule = (value) =>
  Number.isSafeInteger(value) ? undefined : `must be a whole number, not ${describeNumber(value)}`

const milliseconds: Rule = (value) =>
  Number.isSafeInteger(value) ? undefined : `must be a whole number of milliseconds, not ${describeNumber(value)}`

const duration: Rule = (value) =>
  Number.isSafeInteger(value) && (value as number) >= 0
    ? undefined
    : `must be a whole, non-negative number of milliseconds, not ${describeNumber(value)}`

const oneOf =
  (names: ReadonlyArray<string>): Rule =>
  (value) =>
    typeof value === 'string' && names.includes(value)
      ? undefined
      : `must be one of ${names.join(', ')} (exactly), not ${describeShort(value)}`

const status = oneOf(ALL_TASK_EXECUTION_STATUSES)

// Each object's rules are one constant (not a literal per call): objectProblem lists a table's entries once.
const RETRY_OPTIONS_RULES = {
  maxAttempts: [count, true],
  baseDelayMs: [finiteNumber, false],
  delayMultiplier: [finiteNumber, false],
  maxDelayMs: [finiteNumber, false],
} as const
const retryOptions: Rule = (value) => objectProblem(value, RETRY_OPTIONS_RULES)

const ERROR_VALUE_RULES = {
  errorType: [oneOf(ERROR_TYPES), true],
  message: [(message: unknown) => (typeof message === 'string' ? textProblem(message, false) : `must be a string, not ${describeType(message)}`), true],
  isRetryable: [flag, true],
  isInternal: [flag, true],
} as const
const errorValue: Rule = (value) => objectProblem(value, ERROR_VALUE_RULES)

const SUMMARY_RULES = { taskId: [identifier, true], executionId: [identifier, true] } as const
const summary: Rule = (value) => objectProblem(value, SUMMARY_RULES)

const summaries: Rule = (value) => {
  if (!Array.isArray(value)) return `must be an array of { taskId, executionId }, not ${describeType(value)}`
  for (let index = 0; index < value.length; index++) {
    const problem = summary(value[index])
    if (problem) return `[${index}]${nestedProblem(problem)}`
  }
  return undefined
}

const PARENT_SUMMARY_RULES = {
  taskId: [identifier, true],
  executionId: [identifier, true],
  indexInParentChildren: [siblingIndex, true],
  isOnlyChildOfParent: [flag, true],
  isFinalizeOfParent: [flag, true],
} as const
const parentSummary: Rule = (value) => objectProblem(value, PARENT_SUMMARY_RULES)

/** The rule of every settable field (the fields an update may set). */
const SETTABLE_FIELD_RULES = {
  executorId: identifier,
  status,
  isFinished: flag,
  runOutput: payload,
  output: payload,
  error: errorValue,
  retryAttempts: count,
  startAt: milliseconds,
  startedAt: milliseconds,
  expiresAt: milliseconds,
  waitingForChildrenStartedAt: milliseconds,
  waitingForFinalizeStartedAt: milliseconds,
  finishedAt: milliseconds,
  children: summaries,
  activeChildrenCount: count,
  onChildrenFinishedProcessingStatus: oneOf(CHILDREN_PROCESSING_STATUSES),
  onChildrenFinishedProcessingExpiresAt: milliseconds,
  onChildrenFinishedProcessingFinishedAt: milliseconds,
  finalize: summary,
  closeStatus: oneOf(CLOSE_STATUSES),
  closeExpiresAt: milliseconds,
  closedAt: milliseconds,
  needsPromiseCancellation: flag,
  leaseToken: identifier,
  updatedAt: milliseconds,
} satisfies Record<Exclude<keyof TaskExecutionStorageUpdate, 'unset'>, Rule>

/** The settable fields a stored value must hold (the others may be absent). */
const REQUIRED_SETTABLE_FIELDS = new Set<string>([
  'status',
  'isFinished',
  'retryAttempts',
  'startAt',
  'activeChildrenCount',
  'onChildrenFinishedProcessingStatus',
  'closeStatus',
  'needsPromiseCancellation',
  'updatedAt',
])

/**
 * The rule of every field of a stored value, and whether it must be present: the settable
 * fields' rules, and those of the fields only an insert sets.
 */
const VALUE_FIELD_RULES: Record<keyof TaskExecutionStorageValue, readonly [Rule, boolean]> = {
  ...(Object.fromEntries(
    Object.entries(SETTABLE_FIELD_RULES).map(([field, rule]) => [field, [rule, REQUIRED_SETTABLE_FIELDS.has(field)] as const]),
  ) as Record<keyof typeof SETTABLE_FIELD_RULES, readonly [Rule, boolean]>),
  root: [summary, false],
  parent: [parentSummary, false],
  taskId: [identifier, true],
  executionId: [identifier, true],
  isSleepingTask: [flag, true],
  sleepingTaskUniqueId: [identifier, false],
  retryOptions: [retryOptions, true],
  sleepMsBeforeRun: [duration, true],
  timeoutMs: [duration, true],
  areChildrenSequential: [flag, true],
  input: [payload, true],
  createdAt: [milliseconds, true],
  expiryCount: [count, false],
}

const FILTER_RULES = {
  isSleepingTask: [flag, false],
  status: [status, false],
  isFinished: [flag, false],
  leaseToken: [identifier, false],
} satisfies Record<keyof TaskExecutionStorageGetByIdFilters, readonly [Rule, boolean]>

/** The request fields other than updates and filters that storage methods take, by name. */
const REQUEST_FIELD_RULES: Record<string, Rule> = {
  executionId: identifier,
  parentExecutionId: identifier,
  sleepingTaskUniqueId: identifier,
  executorId: identifier,
  status,
  isSleepingTask: flag,
  isFinished: flag,
  needsPromiseCancellation: flag,
  closeStatus: SETTABLE_FIELD_RULES.closeStatus,
  onChildrenFinishedProcessingStatus: SETTABLE_FIELD_RULES.onChildrenFinishedProcessingStatus,
  startAtLessThan: milliseconds,
  expiresAtLessThan: milliseconds,
  onChildrenFinishedProcessingExpiresAtLessThan: milliseconds,
  closeExpiresAtLessThan: milliseconds,
  updateExpiresAtWithStartedAt: milliseconds,
  now: milliseconds,
  limit,
  incrementExpiryCount: flag,
  closesRowsWithoutClosingWorkAt: milliseconds,
}

/**
 * Each rule by field name, with its place in its table (a refusal names the first field in table
 * order), built once: the checks run before every write.
 */
type OrderedRules = ReadonlyMap<string, { readonly rule: Rule; readonly order: number }>
const orderedRules = (rules: Readonly<Record<string, Rule>>): OrderedRules =>
  new Map(Object.entries(rules).map(([key, rule], order) => [key, { rule, order }]))
const SETTABLE_FIELD_RULES_BY_NAME = orderedRules(SETTABLE_FIELD_RULES)
const REQUEST_FIELD_RULES_BY_NAME = orderedRules(REQUEST_FIELD_RULES)

/**
 * The first field (in the rules' table order) whose value breaks its rule, and its problem; values
 * that `skips` are not checked. Walks the object's own fields, not the whole table: a request or an
 * update holds a few of the fields its table knows.
 */
function firstFieldProblem(
  fields: Record<string, unknown>,
  rules: OrderedRules,
  skips: (value: unknown) => boolean,
): { key: string; problem: string } | undefined {
  let found: { key: string; problem: string } | undefined
  let foundOrder = Number.POSITIVE_INFINITY
  for (const key in fields) {
    const entry = rules.get(key)
    if (entry === undefined || entry.order > foundOrder) continue
    const value = fields[key]
    if (skips(value)) continue
    const problem = entry.rule(value)
    if (problem) {
      found = { key, problem }
      foundOrder = entry.order
    }
  }
  return found
}

const isAbsentOrNull = (value: unknown) => value == null
const isAbsent = (value: unknown) => value === undefined

/** Refuses, naming the field, a value that breaks the contract's rules; `operation` names the call. */
export function checkTaskExecutionStorageValues(
  operation: string,
  values: ReadonlyArray<TaskExecutionStorageValue>,
  field = 'executions',
): void {
  if (!Array.isArray(values)) refuse(operation, field, `must be an array, not ${describeType(values)}`)
  for (let index = 0; index < values.length; index++) {
    const problem = objectProblem(values[index], VALUE_FIELD_RULES)
    if (problem) refuse(operation, `${field}[${index}]`, problem)
  }
}

/** Refuses an update (its settable fields and `unset`) that breaks the contract's rules. */
export function checkTaskExecutionStorageUpdate(operation: string, update: TaskExecutionStorageUpdate, field = 'update'): void {
  if (!isPlainObject(update)) refuse(operation, field, `must be an object, not ${describeType(update)}`)
  const fields = update as Record<string, unknown>
  // Absent and null fields are left alone (spec 2.2); `updatedAt` is required, and last in table order.
  const found = firstFieldProblem(fields, SETTABLE_FIELD_RULES_BY_NAME, isAbsentOrNull)
  if (found) refuse(operation, `${field}.${found.key}`, found.problem)
  if (fields.updatedAt == null) refuse(operation, `${field}.updatedAt`, 'is required')
  const unset = fields.unset
  if (unset != null) {
    if (!isPlainObject(unset)) refuse(operation, `${field}.unset`, `must be an object, not ${describeType(unset)}`)
    for (const [key, value] of Object.entries(unset as Record<string, unknown>)) {
      if (value !== undefined && typeof value !== 'boolean') {
        refuse(operation, `${field}.unset.${key}`, `must be a boolean, not ${describeType(value)}`)
      }
    }
  }
}

/**
 * Refuses a storage request whose ids, filters, thresholds, limit or update break the contract's
 * rules. Checks every field it knows; stray fields are ignored, as the storages ignore them.
 */
export function checkTaskExecutionStorageRequest(operation: string, request: object, field = 'request'): void {
  if (!isPlainObject(request)) refuse(operation, field, `must be an object, not ${describeType(request)}`)
  const fields = request as Record<string, unknown>
  const found = firstFieldProblem(fields, REQUEST_FIELD_RULES_BY_NAME, isAbsent)
  if (found) refuse(operation, `${field}.${found.key}`, found.problem)
  if (fields.filters != null) {
    const problem = objectProblem(fields.filters, FILTER_RULES)
    if (problem) refuse(operation, `${field}.filters`, problem)
  }
  if ('update' in fields) checkTaskExecutionStorageUpdate(operation, fields.update as TaskExecutionStorageUpdate, `${field}.update`)
  if ('childrenTaskExecutionsToInsertIfAnyUpdated' in fields) {
    const children = fields.childrenTaskExecutionsToInsertIfAnyUpdated as ReadonlyArray<TaskExecutionStorageValue>
    checkTaskExecutionStorageValues(operation, children, `${field}.childrenTaskExecutionsToInsertIfAnyUpdated`)
  }
}

/** Refuses each request of a batch that breaks the rules, naming its index. */
export function checkTaskExecutionStorageRequests(operation: string, requests: ReadonlyArray<object>): void {
  if (!Array.isArray(requests)) refuse(operation, 'requests', `must be an array, not ${describeType(requests)}`)
  const checked: ReadonlyArray<object> = requests
  for (let index = 0; index < checked.length; index++) {
    checkTaskExecutionStorageRequest(operation, checked[index]!, `requests[${index}]`)
  }
}

function refuse(operation: string, field: string, problem: string): never {
  // A problem found inside a nested value starts with its path (`.taskId`, `[2]`): move it to the field.
  const nested = /^((?:\.\w+|\[\d+\])+) (.*)$/s.exec(problem)
  if (nested) throw new InvalidStorageValueError(operation, `${field}${nested[1]}`, nested[2]!)
  throw new InvalidStorageValueError(operation, field, problem)
}

function finiteNumber(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a finite number, not ${describeNumber(value)}`
}

function textProblem(text: string, refusesNul: boolean): string | undefined {
  if (!isWellFormed(text)) return 'holds a lone surrogate half, which no database stores exactly: send well-formed UTF-16'
  if (refusesNul && text.includes('\0')) return 'holds U+0000, which PostgreSQL cannot store in text: escape or remove it'
  return undefined
}

const ruleEntries = new WeakMap<object, ReadonlyArray<readonly [string, Rule, boolean]>>()

/** The entries of a table of rules (one of this module's constants), listed once. */
function entriesOf(rules: Record<string, readonly [Rule, boolean]>): ReadonlyArray<readonly [string, Rule, boolean]> {
  let entries = ruleEntries.get(rules)
  if (entries === undefined) {
    entries = Object.entries(rules).map(([key, [rule, required]]) => [key, rule, required] as const)
    ruleEntries.set(rules, entries)
  }
  return entries
}

function objectProblem(value: unknown, rules: Record<string, readonly [Rule, boolean]>): string | undefined {
  if (!isPlainObject(value)) return `must be an object, not ${describeType(value)}`
  const fields = value as Record<string, unknown>
  for (const [key, rule, required] of entriesOf(rules)) {
    const fieldValue = fields[key]
    if (fieldValue === undefined) {
      if (required) return `.${key} is required`
      continue
    }
    const problem = rule(fieldValue)
    if (problem) return `.${key}${nestedProblem(problem)}`
  }
  return undefined
}

/** A nested value's problem after its parent's path: a path continues, words follow a space. */
function nestedProblem(problem: string): string {
  return problem.startsWith('.') || problem.startsWith('[') ? problem : ` ${problem}`
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${describeShort(value)}`
}

function describeNumber(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value)
}

/** A short, printable form of a small value (never more than 40 characters of a string). */
function describeShort(value: unknown): string {
  if (typeof value === 'object' || typeof value === 'function') return describeType(value)
  if (typeof value === 'symbol') return value.toString()
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString()
  if (typeof value !== 'string') return JSON.stringify(value) ?? 'undefined'
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value
  return JSON.stringify(shown)
}
