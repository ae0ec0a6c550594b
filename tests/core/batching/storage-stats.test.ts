import { describe, expect, it } from 'vitest'

import { StorageCallStats } from '../../../src/core/batching/storage-stats.js'

const MINUTE = 60_000

describe('StorageCallStats', () => {
  it('reports count, min, max and the 0.5/0.9/0.95 quantiles', () => {
    const stats = new StorageCallStats()
    for (let duration = 100; duration >= 1; duration--) stats.record('getManyById', duration, 0)

    expect(stats.getMetrics(0)).toEqual([
      {
        processName: 'getManyById',
        count: 100,
        min: 1,
        max: 100,
        quantiles: [
          [0.5, 50],
          [0.9, 90],
          [0.95, 95],
        ],
      },
    ])
  })

  it('drops samples older than 30 minutes from the quantiles but keeps the lifetime figures', () => {
    const stats = new StorageCallStats()
    stats.record('insertMany', 500, 0)
    stats.record('insertMany', 10, 20 * MINUTE)
    stats.record('insertMany', 20, 25 * MINUTE)

    expect(stats.getMetrics(29 * MINUTE)[0]?.quantiles).toEqual([
      [0.5, 20],
      [0.9, 500],
      [0.95, 500],
    ])
    const later = stats.getMetrics(52 * MINUTE)[0]
    expect(later?.quantiles).toEqual([
      [0.5, 20],
      [0.9, 20],
      [0.95, 20],
    ])
    expect(later).toMatchObject({ count: 3, min: 10, max: 500 })
    expect(stats.getMetrics(60 * MINUTE)[0]?.quantiles).toEqual([
      [0.5, undefined],
      [0.9, undefined],
      [0.95, undefined],
    ])
  })

  it('keeps at most the configured number of samples per method', () => {
    const stats = new StorageCallStats(30 * MINUTE, 2)
    stats.record('getManyById', 100, 0)
    stats.record('getManyById', 1, 1)
    stats.record('getManyById', 2, 2)

    expect(stats.getMetrics(3)[0]?.quantiles).toEqual([
      [0.5, 1],
      [0.9, 2],
      [0.95, 2],
    ])
  })

  it('sorts methods by call count, most called first', () => {
    const stats = new StorageCallStats()
    stats.record('a', 1, 0)
    stats.record('b', 1, 0)
    stats.record('b', 1, 0)
    stats.record('c', 1, 0)
    stats.record('c', 1, 0)
    stats.record('c', 1, 0)

    expect(stats.getMetrics(0).map((metric) => metric.processName)).toEqual(['c', 'b', 'a'])
  })
})
