/**
 * A handle waiting on an execution that this executor finishes under its lease takes the finished
 * row from the finishing write instead of reading it back, and sees exactly what a read would give.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { childTask, DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { TaskExecutionsStorageGetByIdRequest } from '../../../src/core/storage.js'

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
})
