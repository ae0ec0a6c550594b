import { describe, expect, it } from 'vitest'

import { getStorageRetryDelayMs } from '../../../src/core/batching/retry.js'

describe('getStorageRetryDelayMs', () => {
  it('starts at 25 ms, doubles, and stops growing at 1000 ms', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(getStorageRetryDelayMs)).toEqual([
      25, 50, 100, 200, 400, 800, 1000, 1000,
    ])
  })
})
