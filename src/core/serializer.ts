/**
 * Serialization of task inputs and outputs (spec 4.12): the pluggable `Serializer` shape, the
 * default superjson serializer, and the size-checked helpers the executor goes through so that
 * every serializer failure surfaces as a `DurableExecutionError`.
 */
import superjson from 'superjson'

import { convertErrorToDurableExecutionError, DurableExecutionError } from './errors.js'

/**
 * Turns values into strings for storage and back. Either method may answer synchronously or with
 * a promise; a thrown error or a rejection is converted into a retryable `DurableExecutionError`.
 */
export type Serializer = {
  /** Returns the stored string for `value`. */
  serialize: (value: unknown) => string | Promise<string>
  /** Rebuilds the value from a string returned by `serialize`. */
  // The union is redundant to the compiler but tells implementers a promise is accepted.
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  deserialize: (value: string) => unknown | Promise<unknown>
}

/**
 * The default serializer: superjson, which keeps `Date`, `Map`, `Set`, `BigInt`, `undefined` and
 * other values plain JSON loses.
 */
export function createSuperjsonSerializer(): Serializer {
  return {
    serialize: (value) => superjson.stringify(value),
    deserialize: (value) => superjson.parse(value),
  }
}

// Counted by hand so the core needs no `Buffer` and allocates nothing. A lone surrogate counts
// 3 bytes, as the replacement character an encoder writes for it does.
function utf8ByteLength(value: string): number {
  let bytes = 0
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x80) {
      bytes += 1
    } else if (code < 0x800) {
      bytes += 2
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else {
        bytes += 3
      }
    } else {
      bytes += 3
    }
  }
  return bytes
}

/**
 * Serializes `value` and rejects the result when its UTF-8 size exceeds `maxSerializedDataSize`
 * bytes, with the non-retryable `Serialized data size exceeds maximum allowed size
 * [serializedDataSize=<string length>B] [maxSerializedDataSize=<limit>B]`. Strings whose length
 * times 4 fits the limit are accepted without counting bytes (no character takes more than 4).
 * Serializer failures become `DurableExecutionError`s (retryable unless they already are one).
 */
export async function serializeWithSizeLimit(
  serializer: Serializer,
  value: unknown,
  maxSerializedDataSize: number,
): Promise<string> {
  let serialized: unknown
  try {
    serialized = await serializer.serialize(value)
  } catch (error) {
    throw convertErrorToDurableExecutionError(error)
  }
  if (typeof serialized !== 'string') {
    // A serializer that returns something else is a bug that no retry can fix.
    throw DurableExecutionError.nonRetryable(
      `Serializer returned a non-string value [type=${typeof serialized}]: ` +
        'serialize must return a string',
    )
  }
  if (serialized.length * 4 <= maxSerializedDataSize) return serialized
  if (utf8ByteLength(serialized) > maxSerializedDataSize) {
    // The message reports the string length, not the byte count, as upstream does.
    throw DurableExecutionError.nonRetryable(
      'Serialized data size exceeds maximum allowed size ' +
        `[serializedDataSize=${serialized.length}B] ` +
        `[maxSerializedDataSize=${maxSerializedDataSize}B]`,
    )
  }
  return serialized
}

/**
 * Deserializes a stored string. Serializer failures become `DurableExecutionError`s (retryable
 * unless they already are one).
 */
export async function deserializeValue(serializer: Serializer, value: string): Promise<unknown> {
  try {
    return await serializer.deserialize(value)
  } catch (error) {
    throw convertErrorToDurableExecutionError(error)
  }
}
