import { describe, expect, it } from 'vitest'

import { DurableExecutionError } from '../../src/core/errors.js'
import { generateExecutorId, generateTaskExecutionId, validateTaskId } from '../../src/core/ids.js'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz'

describe('generateTaskExecutionId', () => {
  it('is te_ followed by 24 characters of the id alphabet', () => {
    for (let i = 0; i < 100; i++) {
      expect(generateTaskExecutionId()).toMatch(/^te_[0-9A-HJKMNP-Za-hjkmnp-z]{24}$/)
    }
  })

  it('never repeats', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => generateTaskExecutionId()))
    expect(ids.size).toBe(10_000)
  })

  it('uses all 56 characters and never I, L, O in either case', () => {
    // 2000 ids give 48 000 characters: every letter is expected about 850 times.
    const seen = new Set(
      Array.from({ length: 2000 }, () => generateTaskExecutionId().slice(3)).join(''),
    )
    expect(ALPHABET).toHaveLength(56)
    expect([...seen].sort().join('')).toBe([...ALPHABET].sort().join(''))
  })
})

describe('generateExecutorId', () => {
  it('is de_ followed by 8 characters of the id alphabet', () => {
    for (let i = 0; i < 100; i++) {
      expect(generateExecutorId()).toMatch(/^de_[0-9A-HJKMNP-Za-hjkmnp-z]{8}$/)
    }
  })

  it('differs between calls', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => generateExecutorId()))
    expect(ids.size).toBe(1000)
  })
})

describe('validateTaskId', () => {
  it.each(['a', 'task_1', 'A_b_9', '_', 'x'.repeat(255)])('accepts %s', (id) => {
    expect(() => validateTaskId(id)).not.toThrow()
  })

  function errorOf(id: unknown): unknown {
    try {
      validateTaskId(id as string)
    } catch (error) {
      return error
    }
    return expect.unreachable(`expected ${String(id)} to be rejected`)
  }

  it('rejects an empty id', () => {
    const error = errorOf('')
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ message: 'Task id cannot be empty', isRetryable: false })
  })

  it('rejects an id longer than 255 characters, giving its length', () => {
    expect(errorOf('x'.repeat(256))).toMatchObject({
      message: 'Task id cannot be longer than 255 characters [idLength=256]',
      isRetryable: false,
    })
  })

  it.each(['has space', 'dash-ed', 'dot.ted', 'ünï', 'emoji😀', 'new\nline'])(
    'rejects %j for characters outside letters, digits and underscore',
    (id) => {
      expect(errorOf(id)).toMatchObject({
        message: 'Task id can only contain alphanumeric characters and underscores',
        isRetryable: false,
      })
    },
  )

  it('rejects a non-string id from untyped callers', () => {
    expect(errorOf(42)).toMatchObject({ message: 'Task id must be a string [type=number]' })
  })
})
