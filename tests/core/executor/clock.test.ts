/** The executor's clock: its offset from the database's, sampled from the storage. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ExecutorClock, FIRST_SYNC_WAIT_MS } from '../../../src/core/executor/clock.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('executor clock', () => {
  it('takes the offset of the database clock from the sample with the shortest round trip', async () => {
    const localNow = Date.now()
    vi.useFakeTimers({ now: localNow, toFake: ['Date'] })
    // Three samples: round trips of 40, 10 and 20 ms; the database runs 30 s ahead.
    const roundTrips = [40, 10, 20]
    let call = 0
    const clock = new ExecutorClock(async () => {
      const roundTrip = roundTrips[call++]!
      vi.advanceTimersByTime(roundTrip / 2)
      const databaseTime = Date.now() + 30_000 + (roundTrip === 10 ? 0 : 500)
      vi.advanceTimersByTime(roundTrip / 2)
      return databaseTime
    }, () => undefined)
    await clock.sync()
    expect(clock.offset).toBe(30_000)
    expect(clock.now() - Date.now()).toBe(30_000)
    expect(clock.toLocalTime(clock.now() + 1_000)).toBe(Date.now() + 1_000)
  })

  it('takes an offset within the round trip as the clocks agreeing, so timestamps stay this process\'s own', async () => {
    const localNow = Date.now()
    vi.useFakeTimers({ now: localNow, toFake: ['Date'] })
    // A 4 ms round trip with the database's reading 3 ms early: within half the trip plus 2 ms.
    const clock = new ExecutorClock(async () => {
      vi.advanceTimersByTime(2)
      const databaseTime = Date.now() - 3
      vi.advanceTimersByTime(2)
      return databaseTime
    }, () => undefined)
    await clock.sync()
    expect(clock.offset).toBe(0)
    expect(clock.now()).toBe(Date.now())
  })

  it('keeps the last offset when a sample fails, and reports the failure', async () => {
    // A frozen Date: every round trip takes 0 ms, so the offset is exact however loaded the machine.
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] })
    const failures: Array<unknown> = []
    let fail = false
    const clock = new ExecutorClock(async () => {
      if (fail) throw new Error('database away')
      return Date.now() - 5_000
    }, (error) => failures.push(error))
    await clock.sync()
    const offset = clock.offset
    expect(offset).toBe(-5_000)
    fail = true
    await clock.sync()
    expect(clock.offset).toBe(offset)
    expect(failures).toHaveLength(1)
  })

  it('stays on the local clock without a database clock', async () => {
    const clock = new ExecutorClock(undefined, () => undefined)
    await clock.start()
    expect(clock.offset).toBe(0)
    clock.stop()
  })

  it('starts after a bounded wait when the database never answers', async () => {
    vi.useFakeTimers()
    const clock = new ExecutorClock(() => new Promise<number>(() => undefined), () => undefined)
    let started = false
    const starting = clock.start().then(() => (started = true))
    await vi.advanceTimersByTimeAsync(FIRST_SYNC_WAIT_MS - 1)
    expect(started).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await starting
    expect(started).toBe(true)
    expect(clock.offset).toBe(0)
    clock.stop()
  })
})
