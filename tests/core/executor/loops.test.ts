import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import {
  BackgroundLoop,
  computeInitialLoopDelayMs,
  computeLoopSleepMs,
} from '../../../src/core/executor/loops.js'

describe('loop sleep computation', () => {
  it('starts after about 10 % of the interval, plus or minus 50 %', () => {
    expect(computeInitialLoopDelayMs(500, 0)).toBe(25)
    expect(computeInitialLoopDelayMs(500, 0.5)).toBe(50)
    expect(computeInitialLoopDelayMs(500, 1)).toBe(75)
  })

  it('sleeps the interval plus or minus 10 % after a quiet iteration', () => {
    expect(computeLoopSleepMs(500, 0, 0)).toBe(450)
    expect(computeLoopSleepMs(500, 0, 0.5)).toBe(500)
    expect(computeLoopSleepMs(500, 0, 1)).toBe(550)
  })

  it('grows the sleep by 1.25 per error from the third consecutive error on, up to 5 intervals', () => {
    expect(computeLoopSleepMs(100, 1, 0.5)).toBe(100)
    expect(computeLoopSleepMs(100, 2, 0.5)).toBe(100)
    expect(computeLoopSleepMs(100, 3, 0.5)).toBeCloseTo(125)
    expect(computeLoopSleepMs(100, 4, 0.5)).toBeCloseTo(156.25)
    expect(computeLoopSleepMs(100, 50, 0.5)).toBeCloseTo(500)
  })
})

describe('background loop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function makeLoop(iteration: () => Promise<boolean>, errors: Array<unknown> = []) {
    return new BackgroundLoop({
      name: 'test',
      intervalMs: 100,
      iteration,
      logError: (_message, error) => errors.push(error),
      random: () => 0.5,
    })
  }

  it('runs its first iteration after the initial delay and then once per interval', async () => {
    const runs: Array<number> = []
    const loop = makeLoop(async () => {
      runs.push(Date.now())
      return false
    })
    loop.start()
    await vi.advanceTimersByTimeAsync(9)
    expect(runs).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toEqual([1_000_010])
    await vi.advanceTimersByTimeAsync(100)
    expect(runs).toEqual([1_000_010, 1_000_110])
    await loop.stop(1000)
  })

  it('runs the next iteration at once while the previous one reports more work', async () => {
    let remaining = 3
    const runs: Array<number> = []
    const loop = makeLoop(async () => {
      runs.push(Date.now())
      remaining--
      return remaining > 0
    })
    loop.start()
    await vi.advanceTimersByTimeAsync(10)
    // Fake timers run an immediate at the next millisecond: three runs within 3 ms, no poll wait.
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1)
    expect(runs).toHaveLength(3)
    expect((runs[2] as number) - (runs[0] as number)).toBeLessThanOrEqual(3)
    await vi.advanceTimersByTimeAsync(90)
    expect(runs).toHaveLength(3)
    await loop.stop(1000)
  })

  it('runs at once when triggered while sleeping, and coalesces many triggers into one run', async () => {
    let runs = 0
    const loop = makeLoop(async () => {
      runs++
      return false
    })
    loop.start()
    await vi.advanceTimersByTimeAsync(10)
    expect(runs).toBe(1)
    loop.trigger()
    loop.trigger()
    loop.trigger()
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toBe(2)
    // The trigger replaced the sleep; the next poll comes one interval after the triggered run.
    await vi.advanceTimersByTimeAsync(98)
    expect(runs).toBe(2)
    await vi.advanceTimersByTimeAsync(2)
    expect(runs).toBe(3)
    await loop.stop(1000)
  })

  it('runs once more right after an iteration during which it was triggered', async () => {
    let release: () => void = () => {}
    let runs = 0
    const loop = makeLoop(async () => {
      runs++
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve))
      return false
    })
    loop.start()
    await vi.advanceTimersByTimeAsync(10)
    expect(runs).toBe(1)
    loop.trigger()
    loop.trigger()
    release()
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toBe(2)
    await vi.advanceTimersByTimeAsync(50)
    expect(runs).toBe(2)
    await loop.stop(1000)
  })

  it('ignores triggers before start and after stop', async () => {
    let runs = 0
    const loop = makeLoop(async () => {
      runs++
      return false
    })
    loop.trigger()
    await vi.advanceTimersByTimeAsync(1000)
    expect(runs).toBe(0)
    loop.start()
    await vi.advanceTimersByTimeAsync(10)
    expect(runs).toBe(1)
    await loop.stop(1000)
    loop.trigger()
    await vi.advanceTimersByTimeAsync(1000)
    expect(runs).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('logs errors and backs off after three consecutive errors, and a success resets the backoff', async () => {
    const errors: Array<unknown> = []
    const runs: Array<number> = []
    let failuresLeft = 4
    const loop = makeLoop(async () => {
      runs.push(Date.now() - 1_000_000)
      if (failuresLeft > 0) {
        failuresLeft--
        throw new Error('storage down')
      }
      return false
    }, errors)
    loop.start()
    await vi.advanceTimersByTimeAsync(700)
    // Fake timers round fractional delays down, hence the 1 ms tolerance.
    const gaps = runs.slice(1, 6).map((at, index) => at - (runs[index] as number))
    // Sleeps after errors 1 and 2: the interval; after error 3: ×1.25; after error 4: ×1.25²;
    // after the success: the interval again.
    const expectedGaps = [100, 100, 125, 156.25, 100]
    for (const [index, gap] of gaps.entries()) {
      expect(Math.abs(gap - (expectedGaps[index] as number))).toBeLessThanOrEqual(1)
    }
    expect(errors).toHaveLength(4)
    expect((errors[0] as Error).message).toBe('storage down')
    await loop.stop(1000)
  })

  it('stops after the running iteration finishes and leaves no timer behind', async () => {
    let release: () => void = () => {}
    let finished = false
    const loop = makeLoop(async () => {
      await new Promise<void>((resolve) => (release = resolve))
      finished = true
      return true
    })
    loop.start()
    await vi.advanceTimersByTimeAsync(10)
    let stopped = false
    const stopping = loop.stop(15_000).then(() => (stopped = true))
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(finished).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('gives up waiting for a stuck iteration after the force delay', async () => {
    const loop = makeLoop(() => new Promise<boolean>(() => {}))
    loop.start()
    await vi.advanceTimersByTimeAsync(10)
    let stopped = false
    const stopping = loop.stop(15_000).then(() => (stopped = true))
    await vi.advanceTimersByTimeAsync(14_999)
    expect(stopped).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await stopping
    expect(vi.getTimerCount()).toBe(0)
  })
})
