import { describe, expect, it } from 'vitest'

import { splitBatchIntoCalls } from '../../../src/core/batching/batch-plan.js'

describe('splitBatchIntoCalls', () => {
  it('opens a new call when the next request would exceed the weight limit', () => {
    const weights = [3, 4, 2, 5, 1]
    expect(splitBatchIntoCalls(weights, { maxWeight: 7, weightOf: (weight) => weight })).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ])
  })

  it('gives a request heavier than the limit a call of its own', () => {
    expect(splitBatchIntoCalls([1, 9, 1], { maxWeight: 5, weightOf: (weight) => weight })).toEqual([
      [0],
      [1],
      [2],
    ])
  })

  it('puts a repeated order key into a later call, keeping request order', () => {
    const ids = ['a', 'b', 'a', 'c', 'a']
    expect(splitBatchIntoCalls(ids, { maxWeight: 100, orderKeyOf: (id) => id })).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ])
  })
})
