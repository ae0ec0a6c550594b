/**
 * Identifiers: execution ids (`te_…`), executor ids (`de_…`) and the task id rule (spec 1.2, 4.1,
 * 4.2). Random characters come from the platform's cryptographic generator.
 */
import { DurableExecutionError } from './errors.js'

// Digits and letters without I, L, O in either case, so ids survive being read aloud or retyped.
const ID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz'
// Bytes at or above this are redrawn, so every character of the alphabet is equally likely.
const UNBIASED_BYTE_LIMIT = 256 - (256 % ID_ALPHABET.length)

const MAX_TASK_ID_LENGTH = 255
const TASK_ID_PATTERN = /^[A-Za-z0-9_]+$/

// Random bytes are drawn from the platform generator in blocks and handed out from this pool:
// one generator call per block instead of one per id, which matters when a parent spawns
// thousands of children.
const RANDOM_POOL_SIZE = 4096
const randomPool = new Uint8Array(RANDOM_POOL_SIZE)
let randomPoolOffset = RANDOM_POOL_SIZE

function nextRandomByte(): number {
  if (randomPoolOffset === RANDOM_POOL_SIZE) {
    globalThis.crypto.getRandomValues(randomPool)
    randomPoolOffset = 0
  }
  return randomPool[randomPoolOffset++]!
}

function generateRandomId(length: number): string {
  let id = ''
  while (id.length < length) {
    const byte = nextRandomByte()
    if (byte >= UNBIASED_BYTE_LIMIT) continue
    id += ID_ALPHABET[byte % ID_ALPHABET.length]
  }
  return id
}

/** A new execution id: `te_` followed by 24 random characters of the 56-letter id alphabet. */
export function generateTaskExecutionId(): string {
  return `te_${generateRandomId(24)}`
}

/** A new executor id: `de_` followed by 8 random characters of the 56-letter id alphabet. */
export function generateExecutorId(): string {
  return `de_${generateRandomId(8)}`
}

/**
 * Checks the task id rule: non-empty, at most 255 characters, only ASCII letters, digits and
 * underscores. Throws a non-retryable `DurableExecutionError` naming the broken rule.
 */
export function validateTaskId(id: string): void {
  if (typeof id !== 'string') {
    throw DurableExecutionError.nonRetryable(`Task id must be a string [type=${typeof id}]`)
  }
  if (id.length === 0) {
    throw DurableExecutionError.nonRetryable('Task id cannot be empty')
  }
  if (id.length > MAX_TASK_ID_LENGTH) {
    throw DurableExecutionError.nonRetryable(
      `Task id cannot be longer than ${MAX_TASK_ID_LENGTH} characters [idLength=${id.length}]`,
    )
  }
  if (!TASK_ID_PATTERN.test(id)) {
    throw DurableExecutionError.nonRetryable(
      'Task id can only contain alphanumeric characters and underscores',
    )
  }
}
