import { describe, expect, it } from 'vitest'

import {
  createFunctionInputValidator,
  createStandardSchemaInputValidator,
  isStandardSchema,
  summarizeStandardSchemaIssues,
} from '../../../src/core/executor/input-validation.js'
import type { StandardSchemaV1 } from '../../../src/core/executor/index.js'

function schema(
  validate: StandardSchemaV1['~standard']['validate'],
): StandardSchemaV1 {
  return { '~standard': { version: 1, vendor: 'test', validate } }
}

describe('input validation', () => {
  it('summarises Standard Schema issues one per line, with the dotted path when there is one', () => {
    expect(
      summarizeStandardSchemaIssues([
        { message: 'Expected string', path: ['user', { key: 'names' }, 0] },
        { message: 'Required' },
      ]),
    ).toBe('× Expected string\n  → at user.names.0\n× Required')
  })

  it('returns the transformed value of a passing schema, sync or async', async () => {
    const trim = createStandardSchemaInputValidator(
      'task_a',
      schema((value) => ({ value: String(value).trim() })),
    )
    expect(await trim('  x ')).toBe('x')
    const asyncTrim = createStandardSchemaInputValidator(
      'task_a',
      schema(async (value) => ({ value: String(value).trim() })),
    )
    expect(await asyncTrim(' y')).toBe('y')
  })

  it('fails with a non-retryable Invalid input error naming the task and the issues', async () => {
    const validator = createStandardSchemaInputValidator(
      'task_b',
      schema(() => ({ issues: [{ message: 'Too small', path: ['count'] }] })),
    )
    await expect(validator(1)).rejects.toMatchObject({
      message: 'Invalid input to task task_b: × Too small\n  → at count',
      isRetryable: false,
    })
  })

  it('turns whatever a validation function throws into the Invalid input error', async () => {
    const validator = createFunctionInputValidator('task_c', (input: number) => {
      if (input < 0) throw new Error('must not be negative')
      return input * 2
    })
    expect(await validator(2)).toBe(4)
    await expect(validator(-1)).rejects.toMatchObject({
      message: 'Invalid input to task task_c: must not be negative',
      isRetryable: false,
    })
  })

  it('recognises a Standard Schema by its ~standard validate function', () => {
    expect(isStandardSchema(schema(() => ({ value: 1 })))).toBe(true)
    expect(isStandardSchema({ '~standard': {} })).toBe(false)
    expect(isStandardSchema(null)).toBe(false)
  })
})
