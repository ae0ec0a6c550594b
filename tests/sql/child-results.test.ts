/**
 * The children read of a parent's finalize (`getManyChildResultsByParentExecutionId`): only each
 * child's result columns are read, and what it returns equals those fields of the whole children,
 * for every parent asked, on every backend. The executor falls back to whole children where a
 * storage lacks the method (the in-memory storage), with the same finalize input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childTask, DurableExecutor, InMemoryTaskExecutionsStorage, type TaskExecutionStorageValue } from '../../src/core/index.js'
import { buildChildRow, buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

/** A parent's children in every finished shape: completed with and without output, failed with an error. */
function childrenOf(parent: TaskExecutionStorageValue): Array<TaskExecutionStorageValue> {
  return [
    { ...buildChildRow(parent, { link: { indexInParentChildren: 0 } }), status: 'completed', isFinished: true, output: '{"json":{"n":1}}', input: '{"json":"large input"}' },
    { ...buildChildRow(parent, { link: { indexInParentChildren: 1 } }), status: 'completed', isFinished: true },
    {
      ...buildChildRow(parent, { link: { indexInParentChildren: 2 } }),
      status: 'failed',
      isFinished: true,
      error: { errorType: 'generic', message: 'it broke', isRetryable: false, isInternal: false },
    },
  ]
}

const RESULT_FIELDS = ['taskId', 'executionId', 'status', 'output', 'error'] as const

/** The result fields of a whole child. */
function resultOf(child: TaskExecutionStorageValue) {
  return Object.fromEntries(RESULT_FIELDS.filter((field) => child[field] !== undefined).map((field) => [field, child[field]]))
}

for (const backend of backends) {
  describe(`children results on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_results'))
    })
    afterAll(async () => {
      await opened.close()
    })

    it('reads only the result columns, and equals those fields of the whole children of each parent', async () => {
      const parents = [buildTaskExecutionRow(), buildTaskExecutionRow(), buildTaskExecutionRow()]
      await opened.storage.insertMany([...parents, ...parents.slice(0, 2).flatMap(childrenOf)])
      const requests = parents.map((parent) => ({ parentExecutionId: parent.executionId }))
      opened.statements.reset()
      const results = await opened.storage.getManyChildResultsByParentExecutionId(requests)
      expect(opened.statements.statements.some((statement) => /\binput\b/i.test(statement))).toBe(false)
      const whole = await opened.storage.getManyByParentExecutionId(requests)
      const byId = (left: { executionId: string }, right: { executionId: string }) => (left.executionId < right.executionId ? -1 : 1)
      expect(results.map((list) => [...list].sort(byId))).toEqual(whole.map((list) => [...list].sort(byId).map(resultOf)))
      expect(results.map((list) => list.length)).toEqual([3, 3, 0])
    })
  })
}

describe('children results from a storage without the method', () => {
  it('gives finalize the same input from whole children', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    expect('getManyChildResultsByParentExecutionId' in storage).toBe(false)
    const executor = await DurableExecutor.make(storage, { logLevel: 'error', backgroundProcessIntraBatchSleepMs: 50 })
    try {
      const child = executor.task({ id: 'child', timeoutMs: 10_000, run: (_ctx, index: number) => ({ index }) })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 10_000,
        runParent: () => ({ output: 'out', children: [childTask(child, 1), childTask(child, 2)] }),
        finalize: { id: 'finalize', timeoutMs: 10_000, run: (_ctx, input: unknown) => input },
      })
      await executor.start()
      const handle = await executor.enqueueTask(parent)
      const finished = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50, signal: AbortSignal.timeout(20_000) })
      expect(finished.status === 'completed' && finished.output).toMatchObject({
        output: 'out',
        children: [
          { taskId: 'child', status: 'completed', output: { index: 1 } },
          { taskId: 'child', status: 'completed', output: { index: 2 } },
        ],
      })
    } finally {
      await executor.shutdown()
    }
  })
})
