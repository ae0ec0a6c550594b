/**
 * An idle executor on a storage with a change signal and `findSweepWork` sends that one read
 * every expiry interval and nothing else, apart from the other loops' one-minute safety net; the
 * read's flags wake the loops with work and gate the expiry UPDATEs. Fake timers, counted calls.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EXPIRY_SWEEP_INTERVAL_MS, READ_BACKED_POLL_INTERVAL_MS } from '../../../src/core/executor/change-signal.js'
import { DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { TaskExecutionsStorageSweepWork } from '../../../src/core/storage.js'
import { NO_SWEEP_WORK as NO_WORK } from '../../sql/fixtures/no-sweep-work.js'


const EXPIRY_UPDATES = [
  'updateByStatusAndIsSleepingTaskAndExpiresAtLessThan',
  'updateByOnChildrenFinishedProcessingExpiresAtLessThan',
  'updateByCloseExpiresAtLessThan',
]
const PICKUP = 'updateByStatusAndStartAtLessThanAndReturn'

/** The in-memory storage with a silent change signal and a scripted `findSweepWork`, counting every call. */
function countingStorage(work: () => TaskExecutionsStorageSweepWork) {
  const calls = new Map<string, number>()
  const inner = new InMemoryTaskExecutionsStorage()
  const extras = {
    subscribeToChanges: () => ({ unsubscribe: () => undefined }),
    findSweepWork: () => work(),
  }
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      const value = property in extras ? extras[property as keyof typeof extras] : (Reflect.get(target, property, receiver) as unknown)
      if (typeof value !== 'function' || typeof property !== 'string') return value
      return (...args: Array<unknown>) => {
        calls.set(property, (calls.get(property) ?? 0) + 1)
        return (value as (...args: Array<unknown>) => unknown).apply(property in extras ? extras : target, args)
      }
    },
  })
  const count = (method: string) => calls.get(method) ?? 0
  return { storage, count, reset: () => calls.clear() }
}

describe('the sweep-work read of an idle executor', () => {
  const executors: Array<DurableExecutor> = []
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(async () => {
    const shutdowns = executors.splice(0).map((executor) => executor.shutdown())
    await vi.runAllTimersAsync()
    await Promise.all(shutdowns)
    vi.useRealTimers()
  })

  async function startIdle(work: () => TaskExecutionsStorageSweepWork) {
    const counted = countingStorage(work)
    const executor = await DurableExecutor.make(counted.storage, { logLevel: 'error' })
    executors.push(executor)
    await executor.start()
    // The first iteration of every loop, at start.
    await vi.advanceTimersByTimeAsync(READ_BACKED_POLL_INTERVAL_MS / 2)
    counted.reset()
    return counted
  }

  it('reads once per expiry interval, runs no expiry UPDATE and polls the other loops once a minute', async () => {
    const { count } = await startIdle(() => NO_WORK)
    const minutes = 3
    await vi.advanceTimersByTimeAsync(minutes * 60_000)
    const reads = count('findSweepWork')
    // The loop sleeps its interval ±10 %.
    expect(reads).toBeGreaterThanOrEqual(Math.floor((minutes * 60_000) / (EXPIRY_SWEEP_INTERVAL_MS * 1.1)))
    expect(reads).toBeLessThanOrEqual(Math.ceil((minutes * 60_000) / (EXPIRY_SWEEP_INTERVAL_MS * 0.9)))
    for (const method of EXPIRY_UPDATES) expect(count(method), method).toBe(0)
    expect(count(PICKUP)).toBeGreaterThanOrEqual(minutes - 1)
    expect(count(PICKUP)).toBeLessThanOrEqual(minutes + 1)
  })

  it('wakes the pickup and runs only the expiry UPDATEs the read found work for', async () => {
    // The next read (only that one) finds work: the loop's jittered interval may fit two reads in the window.
    let nextRead: TaskExecutionsStorageSweepWork | undefined
    const { count, reset } = await startIdle(() => {
      const work = nextRead ?? NO_WORK
      nextRead = undefined
      return work
    })
    nextRead = { ...NO_WORK, ready: true, expiredClosing: true }
    await vi.advanceTimersByTimeAsync(EXPIRY_SWEEP_INTERVAL_MS * 1.1)
    expect(nextRead).toBeUndefined()
    expect(count('findSweepWork')).toBeGreaterThanOrEqual(1)
    expect(count(PICKUP)).toBe(1)
    expect(count('updateByCloseExpiresAtLessThan')).toBe(1)
    expect(count('updateByStatusAndIsSleepingTaskAndExpiresAtLessThan')).toBe(0)
    expect(count('updateByOnChildrenFinishedProcessingExpiresAtLessThan')).toBe(0)
    reset()
    await vi.advanceTimersByTimeAsync(EXPIRY_SWEEP_INTERVAL_MS * 1.1)
    expect(count(PICKUP)).toBe(0)
  })
})
