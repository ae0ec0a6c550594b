/**
 * A handle waiting on an execution that this executor finishes under its lease takes the finished
 * row from the finishing write instead of reading it back, and sees exactly what a read would give;
 * a handle that waits only after the finish takes the row kept for it, while it is reachable.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'

import { childTask, DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import { FinishedExecutionWaiters } from '../../../src/core/executor/finish-waiters.js'
import type { TaskExecutionsStorageGetByIdRequest } from '../../../src/core/storage.js'
import { buildTaskExecutionRow } from '../../../src/testing/index.js'

const NEVER_POLLS_MS = 10_000_000
const executors: Array<DurableExecutor> = []

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

/** An in-memory storage that counts the reads of each execution id. */
class ReadCountingStorage extends InMemoryTaskExecutionsStorage {
  readonly reads = new Map<string, number>()

  override async getManyById(requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>) {
    for (const { executionId } of requests) this.reads.set(executionId, (this.reads.get(executionId) ?? 0) + 1)
    return await super.getManyById(requests)
  }

  /** The row as stored, without counting a read. */
  async peek(executionId: string) {
    return (await super.getManyById([{ executionId, filters: {} }]))[0]
  }
}

/** Everything a read gives but the time of the last write (a close after the finish moves it). */
function withoutUpdatedAt<T extends { updatedAt: Date }>(execution: T): Omit<T, 'updatedAt'> {
  const { updatedAt: _updatedAt, ...rest } = execution
  return rest
}

async function startExecutor(storage: ReadCountingStorage): Promise<DurableExecutor> {
  const executor = await DurableExecutor.make(storage, { logLevel: 'error', backgroundProcessIntraBatchSleepMs: NEVER_POLLS_MS })
  executors.push(executor)
  await executor.start()
  return executor
}

/** A promise and the function that resolves it. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

describe('finished rows handed to waiting handles', () => {
  it('gives a waiting handle the finished row of a run without reading it again', async () => {
    const storage = new ReadCountingStorage()
    const executor = await startExecutor(storage)
    const release = gate()
    const task = executor.task({
      id: 'gated',
      timeoutMs: 10_000,
      run: async (_ctx, input: number) => {
        await release.opened
        return { doubled: input * 2 }
      },
    })
    const handle = await executor.enqueueTask(task, 21)
    const waiting = handle.waitAndGetFinishedExecution({ pollingIntervalMs: NEVER_POLLS_MS, signal: AbortSignal.timeout(20_000) })
    await expect.poll(() => storage.reads.get(handle.executionId), { timeout: 20_000 }).toBe(1)
    release.open()
    const finished = await waiting
    expect(storage.reads.get(handle.executionId)).toBe(1)
    expect(finished.status).toBe('completed')
    expect(finished).toEqual(await handle.getExecution())
  })

  it('gives a waiting handle the finished row of a parent whose children finished', async () => {
    const storage = new ReadCountingStorage()
    const executor = await startExecutor(storage)
    const release = gate()
    const child = executor.task({
      id: 'gated_child',
      timeoutMs: 10_000,
      run: async (_ctx, input: number) => {
        await release.opened
        return input + 1
      },
    })
    const parent = executor.parentTask({
      id: 'parent_of_gated',
      timeoutMs: 10_000,
      runParent: () => ({ output: 'parent', children: [childTask(child, 1), childTask(child, 2)] }),
    })
    const handle = await executor.enqueueTask(parent)
    const waiting = handle.waitAndGetFinishedExecution({ pollingIntervalMs: NEVER_POLLS_MS, signal: AbortSignal.timeout(20_000) })
    await expect.poll(() => storage.reads.get(handle.executionId), { timeout: 20_000 }).toBe(1)
    release.open()
    const finished = await waiting
    expect(storage.reads.get(handle.executionId)).toBe(1)
    expect(finished.status).toBe('completed')
    expect(finished).toEqual(await handle.getExecution())
  })

  it('keeps the finished row for a handle that waits only after the finish: a run, a parent, a parent finished by its finalize task', async () => {
    const storage = new ReadCountingStorage()
    const executor = await startExecutor(storage)
    const child = executor.task({ id: 'late_child', timeoutMs: 10_000, run: (_ctx, input: number) => input + 1 })
    const plain = executor.task({ id: 'late_plain', timeoutMs: 10_000, run: (_ctx, input: number) => ({ tripled: input * 3 }) })
    const parent = executor.parentTask({
      id: 'late_parent',
      timeoutMs: 10_000,
      runParent: () => ({ output: 'parent', children: [childTask(child, 1), childTask(child, 2)] }),
    })
    const withFinalize = executor.parentTask({
      id: 'late_parent_with_finalize',
      timeoutMs: 10_000,
      runParent: () => ({ output: 'parent', children: [childTask(child, 3)] }),
      finalize: {
        id: 'late_finalize',
        timeoutMs: 10_000,
        run: (_ctx, input: { children: Array<{ status: string }> }) => ({ finalized: input.children.map((entry) => entry.status) }),
      },
    })
    const handles = [await executor.enqueueTask(plain, 7), await executor.enqueueTask(parent), await executor.enqueueTask(withFinalize)]
    for (const handle of handles) {
      // Closed: finished, and written once more since.
      await expect.poll(async () => (await storage.peek(handle.executionId))?.closeStatus, { timeout: 20_000 }).toBe('closed')
    }
    for (const handle of handles) {
      const finished = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: NEVER_POLLS_MS, signal: AbortSignal.timeout(20_000) })
      expect(storage.reads.get(handle.executionId)).toBeUndefined()
      expect(finished.status).toBe('completed')
      expect(withoutUpdatedAt(finished)).toEqual(withoutUpdatedAt(await handle.getExecution()))
    }
    expect(await handles[0]!.waitAndGetFinishedExecution()).toMatchObject({ output: { tripled: 21 } })
    expect(await handles[2]!.waitAndGetFinishedExecution()).toMatchObject({ output: { finalized: ['completed'] } })
  })

  it('reads the row back when another executor wrote the finish', async () => {
    const storage = new ReadCountingStorage()
    // It polls: the in-memory storage tells it nothing of another executor's enqueue.
    const runner = await DurableExecutor.make(storage, { logLevel: 'error', backgroundProcessIntraBatchSleepMs: 50 })
    executors.push(runner)
    const enqueuer = await DurableExecutor.make(storage, { logLevel: 'error', backgroundProcessIntraBatchSleepMs: NEVER_POLLS_MS })
    executors.push(enqueuer)
    const register = (executor: DurableExecutor) => executor.task({ id: 'elsewhere', timeoutMs: 10_000, run: () => 'done' })
    register(runner)
    await runner.start()
    const handle = await enqueuer.enqueueTask(register(enqueuer))
    await expect.poll(async () => (await storage.peek(handle.executionId))?.status, { timeout: 20_000 }).toBe('completed')
    expect((await handle.waitAndGetFinishedExecution()).status).toBe('completed')
    expect(storage.reads.get(handle.executionId)).toBe(1)
  })
})

describe('finished rows kept for handles', () => {
  setFlagsFromString('--expose-gc')
  const collectGarbage = runInNewContext('gc') as () => void

  it('keeps a row only while a handle on its execution is reachable', async () => {
    const waiters = new FinishedExecutionWaiters()
    const row = { ...buildTaskExecutionRow(), isFinished: true, status: 'completed' as const }
    waiters.notify(row.executionId, () => row)
    expect(waiters.keptFinishedRow(row.executionId)).toBeUndefined()
    let handle: object | undefined = {}
    waiters.keepFinishedRowFor(handle, row.executionId)
    waiters.notify(row.executionId, () => row)
    expect(waiters.keptFinishedRow(row.executionId)).toBe(row)
    handle = undefined
    await expect
      .poll(
        () => {
          collectGarbage()
          return waiters.keptFinishedRow(row.executionId)
        },
        { timeout: 20_000 },
      )
      .toBeUndefined()
  })
})
