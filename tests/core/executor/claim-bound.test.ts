/**
 * What an executor holds under its leases: pickup claims only rows that can start at once (free
 * run slots); a run frees its slot when its function returns, while its result is written (results
 * finishing together share one write), and the writes in flight take at most as many slots again:
 * never more than twice the concurrency held. When the process is gone with everything it holds,
 * expiry recovery gets every row done.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { TaskExecutionsStorage, TaskExecutionStorageValue } from '../../../src/core/storage.js'

const cleanups: Array<() => Promise<void>> = []
/** The gone process's storage errors are expected: nothing of it is printed. */
const SILENT = { debug: () => {}, info: () => {}, error: () => {} }
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function waitUntil(description: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${description}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** An open gate that `close()` shuts: calls passing it wait until `open()`. */
function createGate() {
  let opened = Promise.resolve()
  let release = () => {}
  let waiting = 0
  return {
    close: () => {
      opened = new Promise<void>((resolve) => (release = resolve))
    },
    open: () => release(),
    pass: async () => {
      waiting++
      await opened
      waiting--
    },
    /** How many calls wait at the gate now. */
    waiting: () => waiting,
  }
}

/**
 * `inner` as an executor sees it: result writes (`updateManyById`) pass `writes`, every call fails
 * while `isCutOff()` (the process lost the database for good, as a crashed one), and claims and
 * writes are reported when they return.
 */
function observedStorage(
  inner: TaskExecutionsStorage,
  options: {
    writes: ReturnType<typeof createGate>
    isCutOff: () => boolean
    onClaimed: (rows: Array<TaskExecutionStorageValue>) => void
    /** Called with the number of results (completions) a write landed. */
    onWritten?: (count: number) => void
  },
): TaskExecutionsStorage {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      const method = value as (...args: Array<unknown>) => Promise<unknown>
      return async (...args: Array<unknown>) => {
        if (options.isCutOff()) throw new Error(`the process is gone [method=${String(property)}]`)
        if (property === 'updateManyById') await options.writes.pass()
        const result = await method.apply(target, args)
        if (property === 'updateByStatusAndStartAtLessThanAndReturn') options.onClaimed(result as Array<TaskExecutionStorageValue>)
        if (property === 'updateManyById') {
          const requests = args[0] as Array<{ update: { status?: string } }>
          options.onWritten?.(requests.filter((request) => request.update.status === 'completed').length)
        }
        return result
      }
    },
  })
}

async function countByStatus(storage: TaskExecutionsStorage, ids: ReadonlyArray<string>): Promise<Record<string, number>> {
  const rows = await storage.getManyById(ids.map((executionId) => ({ executionId })))
  const counts: Record<string, number> = {}
  for (const row of rows) counts[row!.status] = (counts[row!.status] ?? 0) + 1
  return counts
}

describe('claims bounded by what can start', () => {
  it('claims only for free run slots, and holds at most twice as many rows while results wait to be written', async () => {
    const inner = new InMemoryTaskExecutionsStorage()
    const writes = createGate()
    let runsStarted = 0
    let claimed = 0
    let written = 0
    const overClaims: Array<string> = []
    const storage = observedStorage(inner, {
      writes,
      isCutOff: () => false,
      onWritten: (count) => (written += count),
      onClaimed: (rows) => {
        // The rows held under lease (claimed, result not yet written) never exceed twice the limit.
        claimed += rows.length
        const held = claimed - written
        if (held > 6) overClaims.push(`${rows.length} claimed, ${held} held`)
      },
    })

    const executor = await DurableExecutor.make(storage, { maxConcurrentTaskExecutions: 3, maxTaskExecutionsPerBatch: 10, logLevel: 'error' })
    cleanups.push(() => executor.shutdown())
    const task = executor.task({
      id: 'quick',
      timeoutMs: 60_000,
      run: () => {
        runsStarted++
        return 'done'
      },
    })
    const ids: Array<string> = []
    for (let index = 0; index < 12; index++) ids.push((await executor.enqueueTask(task)).executionId)
    writes.close()
    await executor.start()

    // The first three runs return and their results wait to be written: their slots are free, so
    // three more run; their results wait too (in the same write or another), and with six held
    // nothing more is claimed.
    await waitUntil('six runs started', () => runsStarted === 6)
    await waitUntil('the results wait to be written', () => writes.waiting() > 0)
    expect(await countByStatus(inner, ids)).toEqual({ running: 6, ready: 6 })
    expect(runsStarted).toBe(6)

    writes.open()
    await waitUntil('every task completed', async () => (await countByStatus(inner, ids)).completed === 12)
    expect(runsStarted).toBe(12)
    expect(overClaims).toEqual([])
  })

  it('takes a slot back when a result write outlasts its lease, and finishes the execution once the write ends', async () => {
    const inner = new InMemoryTaskExecutionsStorage()
    const writes = createGate()
    let claims = 0
    let runs = 0
    const storage = observedStorage(inner, { writes, isCutOff: () => false, onClaimed: (rows) => (claims += rows.length) })
    // One slot, leases of 200 ms, sweeps every 50 ms: a write held for 2 s outlasts many leases.
    const executor = await DurableExecutor.make(storage, {
      maxConcurrentTaskExecutions: 1,
      expireLeewayMs: 0,
      maxExpiries: 5,
      backgroundProcessIntraBatchSleepMs: 50,
      logger: SILENT,
    })
    cleanups.push(() => executor.shutdown())
    const task = executor.task({
      id: 'slow_write',
      timeoutMs: 200,
      run: () => {
        runs++
        return 'ok'
      },
    })
    const { executionId } = await executor.enqueueTask(task)
    writes.close()
    await executor.start()
    await waitUntil('the first result waits to be written', () => writes.waiting() > 0)
    // Past the lease's end the expiry sweep makes the execution ready again; this process, whose
    // write still hangs, must not claim it back (each claim would run it again, its write would
    // hang as well, and the expiries would fail it as a poison pill).
    await waitUntil('the execution is ready again', async () => (await countByStatus(inner, [executionId])).ready === 1)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    writes.open()
    await waitUntil('the execution completed', async () => (await countByStatus(inner, [executionId])).completed === 1)
    const [row] = await inner.getManyById([{ executionId }])
    // Expired while its first write hung (at most once more if a sweep ran just before the slot was taken back).
    expect(row!.expiryCount).toBeLessThanOrEqual(2)
    expect(runs).toBe(row!.expiryCount! + 1)
    expect(claims).toBe(runs)
  })

  it('finishes every task when the process that held runs and results is gone, without running any twice beside it', async () => {
    const inner = new InMemoryTaskExecutionsStorage()
    let isCutOff = false
    const started = new Map<string, number>()
    const storage = observedStorage(inner, { writes: createGate(), isCutOff: () => isCutOff, onClaimed: () => {} })
    // The first process: runs that never end by themselves, leases of 300 ms.
    const gone = await DurableExecutor.make(storage, { maxConcurrentTaskExecutions: 3, expireLeewayMs: 0, logger: SILENT })
    cleanups.push(async () => {
      isCutOff = false
      await gone.shutdown()
    })
    const hanging = gone.task({
      id: 'work',
      timeoutMs: 300,
      run: (ctx) => {
        started.set(ctx.executionId, (started.get(ctx.executionId) ?? 0) + 1)
        // The process dies with its third run: nothing it does reaches the storage any more.
        if (started.size === 3) isCutOff = true
        return new Promise(() => {})
      },
    })
    const ids: Array<string> = []
    for (let index = 0; index < 10; index++) ids.push((await gone.enqueueTask(hanging)).executionId)
    await gone.start()
    await waitUntil('three runs started', () => started.size === 3)
    expect(await countByStatus(inner, ids)).toEqual({ running: 3, ready: 7 })

    // Another process finds the seven never claimed at once, and the three held by the gone one
    // once their leases expire.
    const survivor = await DurableExecutor.make(inner, { expireLeewayMs: 0, backgroundProcessIntraBatchSleepMs: 50, logLevel: 'error' })
    cleanups.push(() => survivor.shutdown())
    const recovered = new Set<string>()
    survivor.task({
      id: 'work',
      timeoutMs: 300,
      run: (ctx) => {
        recovered.add(ctx.executionId)
        return 'done'
      },
    })
    await survivor.start()
    await waitUntil('every task completed', async () => (await countByStatus(inner, ids)).completed === 10)
    expect([...started.values()]).toEqual([1, 1, 1])
    expect(recovered.size).toBe(10)
    const rows = await inner.getManyById(ids.map((executionId) => ({ executionId })))
    expect(rows.filter((row) => started.has(row!.executionId)).map((row) => row!.expiryCount)).toEqual([1, 1, 1])
  })
})
