import { describe, expect, it } from 'vitest'

import {
  convertDurableExecutionErrorToStorageValue,
  convertErrorToDurableExecutionError,
  convertStorageValueToDurableExecutionError,
  DurableExecutionCancelledError,
  DurableExecutionError,
  DurableExecutionNotFoundError,
  DurableExecutionTimedOutError,
  MAX_STORED_ERROR_MESSAGE_LENGTH,
  toStoredErrorMessage,
} from '../../src/core/errors.js'

describe('error classes', () => {
  it('base error defaults to non-retryable, non-internal, generic', () => {
    const error = new DurableExecutionError('base')
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ message: 'base', isRetryable: false, isInternal: false })
    expect(error.getErrorType()).toBe('generic')
    expect(error.name).toBe('DurableExecutionError')
    expect(error.cause).toBeUndefined()
  })

  it('base error takes flags and cause from its options', () => {
    const cause = new Error('root')
    const error = new DurableExecutionError('base', { isRetryable: true, isInternal: true, cause })
    expect(error).toMatchObject({ isRetryable: true, isInternal: true, cause })
  })

  it('retryable and nonRetryable build generic errors with the given flag', () => {
    const cause = new Error('root')
    const retryable = DurableExecutionError.retryable('r', { isInternal: true, cause })
    const nonRetryable = DurableExecutionError.nonRetryable('n')
    expect(retryable).toMatchObject({ message: 'r', isRetryable: true, isInternal: true, cause })
    expect(nonRetryable).toMatchObject({ message: 'n', isRetryable: false, isInternal: false })
    expect(retryable.getErrorType()).toBe('generic')
    expect(nonRetryable.getErrorType()).toBe('generic')
  })

  it('not-found error is never retryable and has type not_found', () => {
    const error = new DurableExecutionNotFoundError('Task not found [taskId=x]')
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ isRetryable: false, isInternal: false })
    expect(error.getErrorType()).toBe('not_found')
    expect(error.name).toBe('DurableExecutionNotFoundError')
  })

  it('timed-out error is always retryable with a default message', () => {
    const error = new DurableExecutionTimedOutError()
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ message: 'Task execution timed out', isRetryable: true })
    expect(error.getErrorType()).toBe('timed_out')
    expect(new DurableExecutionTimedOutError('slow').message).toBe('slow')
  })

  it('cancelled error is never retryable with a default message', () => {
    const cause = new Error('root')
    const error = new DurableExecutionCancelledError(undefined, { cause })
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ message: 'Task execution cancelled', isRetryable: false, cause })
    expect(error.getErrorType()).toBe('cancelled')
  })
})

describe('convertErrorToDurableExecutionError', () => {
  it('makes a plain Error a retryable generic error keeping it as cause', () => {
    const original = new Error('x')
    const error = convertErrorToDurableExecutionError(original)
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error.getErrorType()).toBe('generic')
    expect(error).toMatchObject({ message: 'x', isRetryable: true, isInternal: false })
    expect(error.cause).toBe(original)
  })

  it('lets options override the flags of a non-library error', () => {
    const error = convertErrorToDurableExecutionError(new Error('x'), {
      isRetryable: false,
      isInternal: true,
    })
    expect(error).toMatchObject({ isRetryable: false, isInternal: true })
  })

  it.each([
    ['a string', 'plain text', 'plain text'],
    ['an object with a message', { message: 'from object' }, 'from object'],
    ['a number', 42, '42'],
    ['a plain object', { code: 7 }, '{"code":7}'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a bigint', 5n, '5'],
  ])('uses a readable message for %s', (_label, thrown, message) => {
    const error = convertErrorToDurableExecutionError(thrown)
    expect(error).toMatchObject({ message, isRetryable: true })
    expect(error.cause).toBe(thrown)
  })

  it('does not throw on a circular object', () => {
    const circular: { self?: unknown } = {}
    circular.self = circular
    expect(convertErrorToDurableExecutionError(circular).message).toBe('[object Object]')
  })

  it('prefixes the message as "<prefix>: <message>"', () => {
    const error = convertErrorToDurableExecutionError(new Error('x'), { prefix: 'Error in run' })
    expect(error.message).toBe('Error in run: x')
  })

  it('returns a base error unchanged when no option is given', () => {
    const original = DurableExecutionError.nonRetryable('n')
    expect(convertErrorToDurableExecutionError(original)).toBe(original)
  })

  it('lets options override the flags of a base error and keeps its own otherwise', () => {
    const cause = new Error('root')
    const original = new DurableExecutionError('b', { isRetryable: false, isInternal: true, cause })
    const overridden = convertErrorToDurableExecutionError(original, { isRetryable: true })
    expect(overridden).toMatchObject({ message: 'b', isRetryable: true, isInternal: true, cause })
    const prefixed = convertErrorToDurableExecutionError(original, { prefix: 'p' })
    expect(prefixed).toMatchObject({ message: 'p: b', isRetryable: false, isInternal: true })
  })

  it.each([
    ['not found', new DurableExecutionNotFoundError('nf'), DurableExecutionNotFoundError, false],
    ['timed out', new DurableExecutionTimedOutError('to'), DurableExecutionTimedOutError, true],
    ['cancelled', new DurableExecutionCancelledError('c'), DurableExecutionCancelledError, false],
  ] as const)(
    'keeps the %s class and its fixed flags even against overrides',
    (_label, original, errorClass, isRetryable) => {
      const error = convertErrorToDurableExecutionError(original, {
        prefix: 'p',
        isRetryable: !isRetryable,
        isInternal: true,
      })
      expect(error).toBeInstanceOf(errorClass)
      expect(error).toMatchObject({
        message: `p: ${original.message}`,
        isRetryable,
        isInternal: false,
      })
      expect(error.getErrorType()).toBe(original.getErrorType())
    },
  )
})

describe('storage value', () => {
  it('has exactly the four persisted keys and drops the cause', () => {
    const error = DurableExecutionError.retryable('r', { isInternal: true, cause: new Error('c') })
    expect(convertDurableExecutionErrorToStorageValue(error)).toStrictEqual({
      errorType: 'generic',
      message: 'r',
      isRetryable: true,
      isInternal: true,
    })
  })

  it.each([
    new DurableExecutionError('g', { isRetryable: true, isInternal: true }),
    DurableExecutionError.nonRetryable('n'),
    new DurableExecutionNotFoundError('nf'),
    new DurableExecutionTimedOutError(),
    new DurableExecutionCancelledError(),
  ])('round-trips $message through JSON with its class and flags', (error) => {
    const stored = JSON.parse(JSON.stringify(convertDurableExecutionErrorToStorageValue(error)))
    const rebuilt = convertStorageValueToDurableExecutionError(stored)
    expect(rebuilt.constructor).toBe(error.constructor)
    expect(convertDurableExecutionErrorToStorageValue(rebuilt)).toStrictEqual(stored)
  })
})

describe('thrown values that cannot be described', () => {
  const hostileValues: Array<[string, () => unknown]> = [
    [
      'an object without a prototype that refers to itself',
      () => {
        const value = Object.create(null) as Record<string, unknown>
        value.self = value
        return value
      },
    ],
    [
      'an error whose message getter throws',
      () => {
        const value = new Error('hidden')
        Object.defineProperty(value, 'message', {
          get() {
            throw new Error('no message for you')
          },
        })
        return value
      },
    ],
    [
      'a Proxy that throws on every trap',
      () =>
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('get')
            },
            getPrototypeOf: () => {
              throw new Error('getPrototypeOf')
            },
            has: () => {
              throw new Error('has')
            },
            ownKeys: () => {
              throw new Error('ownKeys')
            },
          },
        ),
    ],
  ]

  for (const [description, make] of hostileValues) {
    it(`become a retryable generic error with a placeholder message: ${description}`, () => {
      const error = convertErrorToDurableExecutionError(make(), { prefix: 'Run failed' })
      expect(error).toBeInstanceOf(DurableExecutionError)
      expect(error.isRetryable).toBe(true)
      expect(error.message).toMatch(/^Run failed: /)
      expect(() => convertDurableExecutionErrorToStorageValue(error)).not.toThrow()
    })
  }

  it('gives the placeholder naming the type when nothing at all can be read', () => {
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    expect(convertErrorToDurableExecutionError(revoked.proxy).message).toBe(
      'A value that cannot be described was thrown [type=object]',
    )
  })
})

describe('stored error messages', () => {
  it('are cut at MAX_STORED_ERROR_MESSAGE_LENGTH with a marker giving the full length', () => {
    const stored = convertDurableExecutionErrorToStorageValue(new DurableExecutionError('x'.repeat(9_000_000)))
    expect(stored.message).toHaveLength(MAX_STORED_ERROR_MESSAGE_LENGTH)
    expect(stored.message).toMatch(/^x+ … \[message cut: 9000000 characters in all\]$/)
  })

  it('keep short messages and surrogate pairs exactly, and replace lone surrogate halves with U+FFFD', () => {
    expect(toStoredErrorMessage('short 😀')).toBe('short 😀')
    expect(toStoredErrorMessage('lone \uD800 high and \uDC00 low')).toBe('lone \uFFFD high and \uFFFD low')
  })

  it('never end on half of a pair that the cut separated', () => {
    const message = `${'x'.repeat(MAX_STORED_ERROR_MESSAGE_LENGTH - 60)}${'😀'.repeat(100)}`
    const stored = toStoredErrorMessage(message)
    expect(stored).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
    expect(stored).toMatch(/😀 … \[message cut/)
  })
})
