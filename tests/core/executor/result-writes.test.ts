/**
 * Results that spawn children, finishing in one turn, go out in shared storage calls of at most
 * `MAX_CHILDREN_PER_RESULTS_CALL` children (instead of one call each, which held every pooled
 * connection); a request the storage refuses fails only its own run.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { DurableExecutionError } from '../../../src/core/errors.js'
import { childTask, DurableExecutor } from '../../../src/core/executor/index.js'
import { MAX_CHILDREN_PER_RESULTS_CALL } from '../../../src/core/executor/result-writes.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest } from '../../../src/core/storage.js'

const executors: Array<DurableExecutor> = []
afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

/** An in-memory storage that records the children of each call inserting children, and refuses any call holding `refused`. */
class ChildCallsStorage extends InMemoryTaskExecutionsStorage {
  readonly childrenPerCall: Array<number> = []
  refused: string | undefined

  override async updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ) {
    this.childrenPerCall.push(requests.reduce((sum, request) => sum + request.childrenTaskExecutionsToInsertIfAnyUpdated.length, 0))
    if (requests.some((request) => request.executionId === this.refused)) {
      throw DurableExecutionError.nonRetryable(`Refused [executionId=${this.refused}]`)
    }
    return await super.updateManyByIdAndInsertChildrenIfUpdated(requests)
  }
}

const PARENTS = 30
const CHILDREN_PER_PARENT = 50

/** An executor whose parents each spawn {@link CHILDREN_PER_PARENT} children; all parents enqueued before it starts. */
async function runParents(storage: ChildCallsStorage, batching: boolean) {
  const executor = await DurableExecutor.make(storage, {
    // The refused write is logged as an error: expected here.
    logger: { debug: () => {}, info: () => {}, error: () => {} },
    enableStorageBatching: batching,
    maxTaskExecutionsPerBatch: PARENTS,
  })
  executors.push(executor)
  const child = executor.task({ id: 'child', timeoutMs: 10_000, run: (_ctx, index: number) => index })
  const parent = executor.parentTask({
    id: 'parent',
    timeoutMs: 10_000,
    runParent: () => ({
      output: 'spawned',
      children: Array.from({ length: CHILDREN_PER_PARENT }, (_, index) => childTask(child, index)),
    }),
  })
  const handles = await Promise.all(Array.from({ length: PARENTS }, () => executor.enqueueTask(parent)))
  await executor.start()
  return await Promise.all(handles.map((handle) => handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50, signal: AbortSignal.timeout(30_000) })))
}

describe('results with children written together', () => {
  for (const batching of [false, true]) {
    it(`spawns the children of parents finishing together in a few calls of at most ${MAX_CHILDREN_PER_RESULTS_CALL} children (batching ${batching ? 'on' : 'off'})`, async () => {
      const storage = new ChildCallsStorage()
      const finished = await runParents(storage, batching)
      expect(finished.map((execution) => execution.status)).toEqual(Array.from({ length: PARENTS }, () => 'completed'))
      expect(storage.childrenPerCall.reduce((sum, count) => sum + count, 0)).toBe(PARENTS * CHILDREN_PER_PARENT)
      expect(Math.max(...storage.childrenPerCall)).toBeLessThanOrEqual(MAX_CHILDREN_PER_RESULTS_CALL)
      // One call per parent before: the runs of one claim end in one turn and share calls.
      expect(storage.childrenPerCall.length).toBeLessThanOrEqual(Math.ceil((PARENTS * CHILDREN_PER_PARENT) / MAX_CHILDREN_PER_RESULTS_CALL) + 1)
    })
  }

  it('fails only the run whose write the storage refuses; the others in its call spawn their children', async () => {
    const storage = new ChildCallsStorage()
    const refusedOnce = storage.insertMany.bind(storage)
    // The first parent inserted is refused: known once the rows exist.
    storage.insertMany = async (executions) => {
      storage.refused ??= executions[0]?.executionId
      return await refusedOnce(executions)
    }
    const finished = await runParents(storage, false)
    const refused = finished.filter((execution) => execution.executionId === storage.refused)
    const others = finished.filter((execution) => execution.executionId !== storage.refused)
    expect(refused.map((execution) => [execution.status, execution.status === 'failed' ? execution.error.message : undefined])).toEqual([
      ['failed', `Error in running task execution [executionId=${storage.refused}]: Refused [executionId=${storage.refused}]`],
    ])
    expect(others.map((execution) => execution.status)).toEqual(Array.from({ length: PARENTS - 1 }, () => 'completed'))
    // The shared call failed, then each of its requests went alone.
    expect(storage.childrenPerCall[0]).toBeGreaterThan(CHILDREN_PER_PARENT)
  })
})
