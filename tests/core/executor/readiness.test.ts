/**
 * start()'s readiness check: a non-retryable failure (a missing table) fails the start; a
 * retryable one (a database that is down) and a check that never settles are logged and the
 * start goes on, as before the check existed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DurableExecutionError, DurableExecutor, InMemoryTaskExecutionsStorage } from '../../../src/core/index.js'
import { checkStorageReady, READY_CHECK_WAIT_MS } from '../../../src/core/executor/readiness.js'

afterEach(() => vi.useRealTimers())

describe('checkStorageReady', () => {
  it('rethrows a non-retryable error and logs nothing', async () => {
    const logError = vi.fn()
    const missing = DurableExecutionError.nonRetryable('table t does not exist')
    await expect(checkStorageReady({ checkReady: () => Promise.reject(missing) }, logError)).rejects.toBe(missing)
    expect(logError).not.toHaveBeenCalled()
  })

  it('logs a retryable error and resolves', async () => {
    const logError = vi.fn()
    const down = DurableExecutionError.retryable('connection refused')
    await checkStorageReady({ checkReady: () => Promise.reject(down) }, logError)
    expect(logError).toHaveBeenCalledWith(expect.stringContaining('starting anyway'), down)
  })

  it('logs a check that does not settle in time and resolves', async () => {
    vi.useFakeTimers()
    const logError = vi.fn()
    const checking = checkStorageReady({ checkReady: () => new Promise<void>(() => {}) }, logError)
    await vi.advanceTimersByTimeAsync(READY_CHECK_WAIT_MS)
    await checking
    expect(logError).toHaveBeenCalledWith(expect.stringContaining(`within ${READY_CHECK_WAIT_MS} ms`))
  })
})

describe('DurableExecutor.start() with a storage check', () => {
  it('rejects when the check fails for good, and starts on a later call once it passes', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    let ready = false
    const checked = Object.assign(storage, {
      checkReady: () => (ready ? Promise.resolve() : Promise.reject(DurableExecutionError.nonRetryable('no table'))),
    })
    const executor = await DurableExecutor.make(checked, { logLevel: 'error' })
    try {
      await expect(executor.start()).rejects.toThrow('no table')
      ready = true
      await executor.start()
      const task = executor.task({ id: 'after_check', timeoutMs: 5_000, run: () => 'ran' })
      expect((await (await executor.enqueueTask(task)).waitAndGetFinishedExecution()).status).toBe('completed')
    } finally {
      await executor.shutdown()
    }
  })
})
