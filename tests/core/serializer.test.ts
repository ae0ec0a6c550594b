import { describe, expect, it } from 'vitest'

import { DurableExecutionError, DurableExecutionNotFoundError } from '../../src/core/errors.js'
import {
  createSuperjsonSerializer,
  deserializeValue,
  serializeWithSizeLimit,
  type Serializer,
} from '../../src/core/serializer.js'

const ONE_MB = 1024 * 1024

function returning(serialized: unknown): Serializer {
  return { serialize: () => serialized as string, deserialize: (value) => value }
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  )
}

describe('createSuperjsonSerializer', () => {
  it('round-trips values plain JSON loses', async () => {
    const serializer = createSuperjsonSerializer()
    const value = {
      date: new Date(1_700_000_000_000),
      map: new Map<string, unknown>([['k', new Set([1, 2])]]),
      big: 12345678901234567890n,
      missing: undefined,
      nested: [undefined, { at: new Date(0) }],
    }
    const serialized = await serializer.serialize(value)
    expect(typeof serialized).toBe('string')
    expect(await serializer.deserialize(serialized)).toStrictEqual(value)
  })

  it('round-trips undefined itself', async () => {
    const serializer = createSuperjsonSerializer()
    expect(await serializer.deserialize(await serializer.serialize(undefined))).toBeUndefined()
  })
})

describe('serializeWithSizeLimit', () => {
  it('returns the serialized string when it fits', async () => {
    const serializer = createSuperjsonSerializer()
    const serialized = await serializeWithSizeLimit(serializer, { a: 1 }, ONE_MB)
    expect(await serializer.deserialize(serialized)).toStrictEqual({ a: 1 })
  })

  it('accepts a string whose length times 4 is exactly the limit', async () => {
    // 125 emoji = 250 UTF-16 units = 1000 bytes: the worst case the fast path allows for.
    const worstCase = '😀'.repeat(125)
    expect(await serializeWithSizeLimit(returning(worstCase), null, 1000)).toBe(worstCase)
  })

  it('accepts ASCII up to exactly the limit once past the fast path', async () => {
    expect(await serializeWithSizeLimit(returning('a'.repeat(1000)), null, 1000)).toHaveLength(1000)
  })

  it('rejects data over the limit with the string length in the message', async () => {
    const error = await caught(serializeWithSizeLimit(returning('a'.repeat(1001)), null, 1000))
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({
      message:
        'Serialized data size exceeds maximum allowed size [serializedDataSize=1001B] [maxSerializedDataSize=1000B]',
      isRetryable: false,
    })
  })

  it('counts multi-byte characters as UTF-8 bytes but reports the string length', async () => {
    // 400 x 'é' (2 bytes each) = 800 bytes: fits 1000 although length * 4 = 1600 does not.
    expect(await serializeWithSizeLimit(returning('é'.repeat(400)), null, 1000)).toHaveLength(400)
    // 334 x '€' (3 bytes each) = 1002 bytes: over 1000 although the length is only 334.
    const error = await caught(serializeWithSizeLimit(returning('€'.repeat(334)), null, 1000))
    expect(error).toMatchObject({
      message:
        'Serialized data size exceeds maximum allowed size [serializedDataSize=334B] [maxSerializedDataSize=1000B]',
    })
  })

  it('counts a surrogate pair as 4 bytes and a lone surrogate as 3', async () => {
    // 250 emoji = 500 UTF-16 units = 1000 bytes: exactly at the limit.
    expect(await serializeWithSizeLimit(returning('😀'.repeat(250)), null, 1000)).toHaveLength(500)
    await expect(serializeWithSizeLimit(returning('😀'.repeat(251)), null, 1000)).rejects.toThrow(
      '[serializedDataSize=502B]',
    )
    // 333 lone high surrogates = 999 bytes, then one more ASCII byte: 1000 bytes.
    expect(
      await serializeWithSizeLimit(returning('\ud83d'.repeat(333) + 'a'), null, 1000),
    ).toHaveLength(334)
  })

  it('matches Buffer.byteLength on mixed text at the limit boundary', async () => {
    const text = 'aé€😀'.repeat(100)
    const bytes = Buffer.byteLength(text, 'utf8')
    expect(await serializeWithSizeLimit(returning(text), null, bytes)).toBe(text)
    await expect(serializeWithSizeLimit(returning(text), null, bytes - 1)).rejects.toThrow(
      'Serialized data size exceeds maximum allowed size',
    )
  })

  it('turns a thrown serializer error into a retryable DurableExecutionError', async () => {
    const original = new Error('cannot serialize')
    const serializer: Serializer = {
      serialize: () => {
        throw original
      },
      deserialize: (value) => value,
    }
    const error = await caught(serializeWithSizeLimit(serializer, 1, ONE_MB))
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ message: 'cannot serialize', isRetryable: true, cause: original })
  })

  it('turns a rejected async serializer into a retryable DurableExecutionError', async () => {
    const serializer: Serializer = {
      serialize: () => Promise.reject(new Error('later')),
      deserialize: (value) => value,
    }
    await expect(serializeWithSizeLimit(serializer, 1, ONE_MB)).rejects.toMatchObject({
      message: 'later',
      isRetryable: true,
    })
  })

  it('keeps the class of a DurableExecutionError thrown by the serializer', async () => {
    const serializer: Serializer = {
      serialize: () => {
        throw new DurableExecutionNotFoundError('gone')
      },
      deserialize: (value) => value,
    }
    const error = await caught(serializeWithSizeLimit(serializer, 1, ONE_MB))
    expect(error).toBeInstanceOf(DurableExecutionNotFoundError)
  })

  it('rejects a serializer that returns something other than a string', async () => {
    await expect(serializeWithSizeLimit(returning(42), 1, ONE_MB)).rejects.toMatchObject({
      message: 'Serializer returned a non-string value [type=number]: serialize must return a string',
      isRetryable: false,
    })
  })
})

describe('deserializeValue', () => {
  it('returns what the serializer gives back, sync or async', async () => {
    const serializer = createSuperjsonSerializer()
    const serialized = await serializer.serialize(new Date(5))
    expect(await deserializeValue(serializer, serialized)).toStrictEqual(new Date(5))
    const asyncSerializer: Serializer = {
      serialize: (value) => String(value),
      deserialize: (value) => Promise.resolve(value.toUpperCase()),
    }
    expect(await deserializeValue(asyncSerializer, 'abc')).toBe('ABC')
  })

  it('turns a serializer failure into a retryable DurableExecutionError', async () => {
    const error = await caught(deserializeValue(createSuperjsonSerializer(), '{not json'))
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ isRetryable: true })
    expect((error as DurableExecutionError).getErrorType()).toBe('generic')
  })
})
