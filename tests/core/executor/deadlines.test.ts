import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { DeadlineScheduler } from '../../../src/core/executor/deadlines.js'

describe('deadline scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('calls each callback at its time, in time order, on a single timer', async () => {
    const scheduler = new DeadlineScheduler()
    const fired: Array<string> = []
    scheduler.schedule(30, () => fired.push('c'))
    scheduler.schedule(10, () => fired.push('a'))
    scheduler.schedule(20, () => fired.push('b'))
    scheduler.schedule(10, () => fired.push('a2'))
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(9)
    expect(fired).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(fired.sort()).toEqual(['a', 'a2'])
    await vi.advanceTimersByTimeAsync(20)
    expect(fired).toEqual(['a', 'a2', 'b', 'c'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never calls a cancelled callback, and cancelling twice is harmless', async () => {
    const scheduler = new DeadlineScheduler()
    const fired: Array<string> = []
    const first = scheduler.schedule(10, () => fired.push('first'))
    scheduler.schedule(20, () => fired.push('second'))
    first.cancel()
    first.cancel()
    expect(scheduler.size).toBe(1)
    await vi.advanceTimersByTimeAsync(25)
    expect(fired).toEqual(['second'])
    expect(scheduler.size).toBe(0)
  })

  it('drops cancelled entries once they outnumber live ones, keeping the live ones in order', async () => {
    const scheduler = new DeadlineScheduler()
    const fired: Array<number> = []
    const deadlines = Array.from({ length: 200 }, (_, index) =>
      scheduler.schedule(1000 + index, () => fired.push(index)),
    )
    for (const [index, deadline] of deadlines.entries()) if (index % 4 !== 0) deadline.cancel()
    expect(scheduler.size).toBe(50)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fired).toEqual(Array.from({ length: 50 }, (_, index) => index * 4))
  })

  it('clears its timer when every deadline is cancelled and compacted away', () => {
    const scheduler = new DeadlineScheduler()
    const deadlines = Array.from({ length: 100 }, (_, index) => scheduler.schedule(1000 + index, () => {}))
    for (const deadline of deadlines) deadline.cancel()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('moves its timer earlier when an earlier deadline arrives', async () => {
    const scheduler = new DeadlineScheduler()
    const fired: Array<string> = []
    scheduler.schedule(100, () => fired.push('late'))
    scheduler.schedule(5, () => fired.push('early'))
    await vi.advanceTimersByTimeAsync(5)
    expect(fired).toEqual(['early'])
  })

  it('drops everything and its timer on shutdown, and ignores later schedules', async () => {
    const scheduler = new DeadlineScheduler()
    const fired: Array<string> = []
    scheduler.schedule(10, () => fired.push('x'))
    scheduler.shutdown()
    expect(vi.getTimerCount()).toBe(0)
    scheduler.schedule(10, () => fired.push('y')).cancel()
    scheduler.schedule(10, () => fired.push('z'))
    await vi.advanceTimersByTimeAsync(100)
    expect(fired).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})
