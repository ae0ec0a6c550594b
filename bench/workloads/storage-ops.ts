/**
 * Workload 1, storage operations on every backend (tinybench): `insertMany` of 1 and 100 rows,
 * `getById`, `updateById`, a pick-up claim of 10, a children read and the decrement sweep, each
 * called straight on the storage and through the executor's storage layer with batching on, by 1
 * and by 64 concurrent callers. An iteration is one round of concurrent calls, so operations per
 * second are callers x rounds per second.
 */
import { Bench } from 'tinybench'
import {
  TaskExecutionsStorageLayer,
  createTaskExecutionStorageValue,
  generateTaskExecutionId,
  type TaskExecutionStorageValue,
  type TaskExecutionsStorage,
} from '../../src/index.js'
import { openBackend, type OpenedBackend } from '../backends.js'
import type { BenchContext } from '../context.js'
import { round } from '../stats.js'

const PRELOADED_ROWS = 1_000
const CHILDREN_PER_PARENT = 50

function makeRow(now: number, parent?: TaskExecutionStorageValue, index = 0): TaskExecutionStorageValue {
  return createTaskExecutionStorageValue({
    now,
    taskId: 'benchTask',
    executionId: generateTaskExecutionId(),
    retryOptions: { maxAttempts: 0 },
    sleepMsBeforeRun: 0,
    timeoutMs: 60_000,
    input: '{"json":{"n":1}}',
    ...(parent
      ? {
          root: { taskId: parent.taskId, executionId: parent.executionId },
          parent: {
            taskId: parent.taskId,
            executionId: parent.executionId,
            indexInParentChildren: index,
            isOnlyChildOfParent: false,
            isFinalizeOfParent: false,
          },
        }
      : {}),
  })
}

function makeRows(count: number): Array<TaskExecutionStorageValue> {
  const now = Date.now()
  return Array.from({ length: count }, () => makeRow(now))
}

/** The one-request calls a caller makes, either straight on the storage or through the layer. */
type Calls = {
  insertMany(rows: ReadonlyArray<TaskExecutionStorageValue>): Promise<void>
  getById(executionId: string): Promise<unknown>
  updateById(executionId: string): Promise<unknown>
  claim(): Promise<unknown>
  children(parentExecutionId: string): Promise<unknown>
  decrementSweep(): Promise<unknown>
}

let claimCounter = 0

function claimRequest() {
  // Claimed rows stay `ready` and move to the back of the queue, so every claim finds 10 rows.
  claimCounter++
  return {
    status: 'ready' as const,
    startAtLessThan: Number.MAX_SAFE_INTEGER,
    update: { status: 'ready' as const, startAt: Date.now() + claimCounter, updatedAt: Date.now() },
    updateExpiresAtWithStartedAt: Date.now(),
    limit: 10,
  }
}

function sweepRequest() {
  // Swept children stay close-ready (updatedAt moves them back), so each sweep finds 10 rows.
  return { isFinished: true, closeStatus: 'ready' as const, update: { closeStatus: 'ready' as const, updatedAt: Date.now() }, limit: 10 }
}

function directCalls(storage: TaskExecutionsStorage): Calls {
  return {
    insertMany: async (rows) => storage.insertMany(rows),
    getById: async (executionId) => (await storage.getManyById([{ executionId }]))[0],
    updateById: async (executionId) => storage.updateManyById([{ executionId, update: { executorId: 'de_bench', updatedAt: Date.now() } }]),
    claim: async () => storage.updateByStatusAndStartAtLessThanAndReturn(claimRequest()),
    children: async (parentExecutionId) => (await storage.getManyByParentExecutionId([{ parentExecutionId }]))[0],
    decrementSweep: async () => storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(sweepRequest()),
  }
}

function layerCalls(layer: TaskExecutionsStorageLayer): Calls {
  return {
    insertMany: (rows) => layer.insertMany(rows),
    getById: (executionId) => layer.getById({ executionId }),
    updateById: (executionId) => layer.updateById({ executionId, update: { executorId: 'de_bench', updatedAt: Date.now() } }),
    claim: () => layer.updateByStatusAndStartAtLessThanAndReturn(claimRequest()),
    children: (parentExecutionId) => layer.getByParentExecutionId({ parentExecutionId }),
    decrementSweep: () => layer.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(sweepRequest()),
  }
}

/** Loads rows to read, update and claim, and a parent whose finished children the sweep finds. */
async function preload(storage: TaskExecutionsStorage): Promise<{ ids: Array<string>; parentId: string }> {
  const rows = makeRows(PRELOADED_ROWS)
  for (let start = 0; start < rows.length; start += 250) await storage.insertMany(rows.slice(start, start + 250))
  const now = Date.now()
  const parent = makeRow(now)
  const children = Array.from({ length: CHILDREN_PER_PARENT }, (_, index) => ({
    ...makeRow(now, parent, index),
    status: 'completed' as const,
    isFinished: true,
    closeStatus: 'ready' as const,
    finishedAt: now,
  }))
  await storage.insertMany([{ ...parent, status: 'waiting_for_children', activeChildrenCount: CHILDREN_PER_PARENT }, ...children])
  return { ids: rows.map((row) => row.executionId), parentId: parent.executionId }
}

async function benchBackend(context: BenchContext, backend: OpenedBackend, inserts: OpenedBackend): Promise<void> {
  const { ids, parentId } = await preload(backend.storage)
  const time = context.quick ? 20 : 200
  for (const mode of ['direct', 'layer'] as const) {
    const layers = [backend.storage, inserts.storage].map(
      (storage) => new TaskExecutionsStorageLayer(storage, { enableBatching: true, batchWindowMs: 10, maxRetryAttempts: 1, enableStats: false }),
    )
    for (const layer of layers) layer.start()
    const [calls, insertCalls] = mode === 'direct' ? [directCalls(backend.storage), directCalls(inserts.storage)] : layers.map(layerCalls) as [Calls, Calls]
    // Quick mode: 8 concurrent callers instead of 64, so the smoke run stays short.
    for (const callers of context.quick ? [1, 8] : [1, 64]) {
      const bench = new Bench({ time, warmupTime: time / 5, iterations: context.quick ? 2 : 3, warmupIterations: 1 })
      const round_ = (call: (caller: number) => Promise<unknown>) => async () => {
        await Promise.all(Array.from({ length: callers }, (_, caller) => call(caller)))
      }
      let cursor = 0
      const nextId = () => ids[cursor++ % ids.length]!
      for (const rowCount of [1, 100]) {
        let batches: Array<Array<TaskExecutionStorageValue>> = []
        bench.add(`insertMany ${rowCount} row${rowCount > 1 ? 's' : ''}`, round_((caller) => insertCalls.insertMany(batches[caller]!)), {
          beforeEach: () => {
            batches = Array.from({ length: callers }, () => makeRows(rowCount))
          },
          afterEach: async () => {
            await inserts.storage.deleteAll()
          },
        })
      }
      bench
        .add('getById', round_(() => calls.getById(nextId())))
        .add('updateById', round_(() => calls.updateById(nextId())))
        .add('claim of 10', round_(() => calls.claim()))
        .add(`children read (${CHILDREN_PER_PARENT})`, round_(() => calls.children(parentId)))
        .add('decrement sweep of 10', round_(() => calls.decrementSweep()))
      await bench.run()
      for (const task of bench.tasks) {
        const result = task.result as { state?: string; error?: unknown; latency?: { mean: number; p50?: number; p99?: number }; totalTime?: number }
        if (result.error !== undefined || result.latency === undefined) {
          context.results.addError('storage-ops', backend.name, result.error ?? new Error(`${task.name}: no result (${result.state})`))
          continue
        }
        const latencyMs = result.latency.mean
        context.results.add({
          workload: 'storage-ops',
          name: `${task.name}, ${callers} caller${callers > 1 ? 's' : ''}, ${mode === 'direct' ? 'storage directly' : 'layer, batching on'}`,
          backend: backend.name,
          config: { operation: task.name, callers, mode },
          metrics: {
            opsPerSecond: round((callers * 1000) / latencyMs, 0),
            roundMeanMs: round(latencyMs, 3),
            roundP50Ms: round(result.latency.p50 ?? Number.NaN, 3),
            roundP99Ms: round(result.latency.p99 ?? Number.NaN, 3),
            rounds: task.runs,
          },
          chart: { metric: 'opsPerSecond', unit: 'calls/s, higher is better' },
        })
      }
    }
    for (const layer of layers) await layer.shutdown()
  }
}

/** Runs workload 1 on every chosen backend. */
export async function runStorageOpsWorkload(context: BenchContext): Promise<void> {
  for (const name of context.backends) {
    const backend = await openBackend(name)
    const inserts = await openBackend(name)
    try {
      await benchBackend(context, backend, inserts)
    } catch (error) {
      context.results.addError('storage-ops', name, error)
    } finally {
      await inserts.close()
      await backend.close()
    }
  }
}
