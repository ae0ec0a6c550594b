/**
 * Workload 2, the executor end to end on every backend, with the default and the tuned options,
 * storage batching off and on: (a) the spec 5.3 tree workload (parents with 50 children and a
 * finalize, sequences of 4, looping tasks); (b) a drain of no-op tasks; (c) a steady enqueue rate
 * with enqueue-to-start and enqueue-to-finish percentiles (PostgreSQL and the SQLite file).
 */
import {
  DurableExecutor,
  TaskExecutionsStorageLayer,
  childTask,
  type DefaultParentTaskOutput,
  type TaskExecutionStorageValue,
  type TaskExecutionsStorage,
} from '../../src/index.js'
import { openBackend, type BackendName } from '../backends.js'
import type { BenchContext } from '../context.js'
import { CONFIGURATIONS, configurationLabel, configurationsFor, executorOptions, type OptionSet } from '../executor-options.js'
import { CountdownCounter, forEachConcurrently, median, percentile, round, sleep } from '../stats.js'
import { trackCompletions } from '../tracking-storage.js'

/** Upstream's median wall time of the tree workload on this machine kind, in seconds (issue 7). */
const UPSTREAM_TREE_SECONDS: Partial<Record<BackendName, number>> = {
  postgres: 16.8,
  mariadb: 17.7,
  'sqlite-file': 32.0,
  memory: 11.5,
}

/** Sizes of the tree workload: spec 5.3's defaults (one warm-up and two measured iterations) in full mode. */
export function treeSizes(quick: boolean) {
  return quick
    ? { parents: 5, children: 50, sequences: 5, loops: 5, iterations: 1, warmup: false }
    : { parents: 100, children: 50, sequences: 100, loops: 100, iterations: 2, warmup: true }
}

/** Checks an output and throws (a wrong result ends the run non-zero) when it differs. */
function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`Wrong result for ${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  }
}

/** One timed iteration of the tree workload; returns wall time in ms. */
export async function runTreeIteration(storage: TaskExecutionsStorage, set: OptionSet, batching: boolean, sizes: ReturnType<typeof treeSizes>): Promise<number> {
  const executor = await DurableExecutor.make(storage, executorOptions(set, batching))
  const work = () => sleep(1)
  const child = executor.task({ id: 'child', timeoutMs: 10_000, run: async (_ctx, index: number) => (await work(), index) })
  const parent = executor.parentTask({
    id: 'parent',
    timeoutMs: 10_000,
    runParent: async (_ctx, count: number) => {
      await work()
      return { output: count, children: Array.from({ length: count }, (_, index) => childTask(child, index)) }
    },
    finalize: {
      id: 'parentFinalize',
      timeoutMs: 10_000,
      run: (_ctx, input: DefaultParentTaskOutput<number>) => {
        const completed = input.children.filter((entry) => entry.status === 'completed').length
        if (completed !== input.output) throw new Error(`Only ${completed} of ${input.output} children completed`)
        return completed
      },
    },
  })
  const single = executor.task({ id: 'single', timeoutMs: 10_000, run: async (_ctx, value: number) => (await work(), value + 1) })
  const sequence = executor.sequentialTasks('sequential', [single, single, single, single])
  const iteration = executor.task({
    id: 'iteration',
    timeoutMs: 10_000,
    run: async (_ctx, value: number) => (await work(), { isDone: true as const, output: value }),
  })
  const looping = executor.loopingTask('looping', iteration, 1000, 100)
  await executor.start()
  try {
    const started = performance.now()
    const [parents, sequences, loops] = await Promise.all([
      Promise.all(Array.from({ length: sizes.parents }, () => executor.enqueueTask(parent, sizes.children))),
      Promise.all(Array.from({ length: sizes.sequences }, (_, index) => executor.enqueueTask(sequence, index))),
      Promise.all(Array.from({ length: sizes.loops }, (_, index) => executor.enqueueTask(looping, index))),
    ])
    for (const handle of parents) {
      const finished = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      expectEqual([finished.status, finished.status === 'completed' ? finished.output : finished.error], ['completed', sizes.children], 'a parent')
    }
    for (const [index, handle] of sequences.entries()) {
      const finished = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      expectEqual([finished.status, finished.status === 'completed' ? finished.output : finished.error], ['completed', index + 4], 'a sequence')
    }
    for (const [index, handle] of loops.entries()) {
      const finished = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      expectEqual(
        [finished.status, finished.status === 'completed' ? finished.output : finished.error],
        ['completed', { isSuccess: true, output: index }],
        'a looping task',
      )
    }
    return performance.now() - started
  } finally {
    await executor.shutdown()
  }
}

/** (a) The tree workload on every backend and configuration. */
export async function runTreeWorkload(context: BenchContext): Promise<void> {
  const sizes = treeSizes(context.quick)
  for (const backend of context.backends) {
    for (const { set, batching } of configurationsFor(context.quick)) {
      try {
        const times: Array<number> = []
        for (let index = 0; index < sizes.iterations + (sizes.warmup ? 1 : 0); index++) {
          const opened = await openBackend(backend)
          try {
            const ms = await runTreeIteration(opened.storage, set, batching, sizes)
            if (index > 0 || !sizes.warmup) times.push(ms)
          } finally {
            await opened.close()
          }
        }
        const medianSeconds = median(times) / 1000
        const upstream = UPSTREAM_TREE_SECONDS[backend]
        const metrics: Record<string, number> = {
          medianSeconds: round(medianSeconds, 3),
          minSeconds: round(Math.min(...times) / 1000, 3),
          maxSeconds: round(Math.max(...times) / 1000, 3),
          iterations: times.length,
        }
        if (upstream !== undefined && !context.quick) metrics.speedupVsUpstream = round(upstream / medianSeconds, 2)
        context.results.add({
          workload: 'e2e-tree',
          name: `${sizes.parents}x${sizes.children} children + ${sizes.sequences} sequences + ${sizes.loops} loops, ${configurationLabel(set, batching)}`,
          backend,
          config: { options: set, batching, ...sizes },
          metrics,
          chart: { metric: 'medianSeconds', unit: 's, lower is better' },
        })
      } catch (error) {
        context.results.addError('e2e-tree', backend, error)
      }
    }
  }
}

/** Result of one drain. */
export type DrainResult = { enqueueSeconds: number; drainSeconds: number; tasksPerSecond: number }

/** Enqueue calls in flight while filling a drain's backlog. */
const ENQUEUE_CONCURRENCY = 500

/**
 * Enqueues `count` no-op tasks (task id `noop`) on `storage` through `executor.enqueueTask` of an
 * executor that is never started, so nothing is claimed, and returns their ids. An executor's
 * storage batching only runs once it is started, so the executor's `insertMany` calls go through
 * a started batching layer instead: concurrent enqueues become inserts of up to 100 rows rather
 * than one insert per task (10,000 single inserts took 6–16 s on the SQL backends, longer than
 * most of the drains they fed).
 */
export async function enqueueNoOpBacklog(storage: TaskExecutionsStorage, count: number): Promise<Array<string>> {
  const layer = new TaskExecutionsStorageLayer(storage, { enableBatching: true, batchWindowMs: 5, maxRetryAttempts: 1, enableStats: false })
  layer.start()
  const batchedInserts = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'insertMany') return (rows: ReadonlyArray<TaskExecutionStorageValue>) => layer.insertMany(rows)
      const value = Reflect.get(target, property, receiver) as unknown
      return typeof value === 'function' ? (value as (...args: Array<unknown>) => unknown).bind(target) : value
    },
  })
  const enqueuer = await DurableExecutor.make(batchedInserts, executorOptions('default', false))
  const noop = enqueuer.task({ id: 'noop', timeoutMs: 60_000, run: () => undefined })
  const ids = new Array<string>(count)
  try {
    await forEachConcurrently(Array.from({ length: count }, (_, index) => index), ENQUEUE_CONCURRENCY, async (index) => {
      ids[index] = (await enqueuer.enqueueTask(noop)).executionId
    })
    return ids
  } finally {
    await enqueuer.shutdown()
    await layer.shutdown()
  }
}

/**
 * Enqueues `count` no-op tasks with the measured executor stopped (see {@link enqueueNoOpBacklog}),
 * then starts it and measures the time until the last completion is written. Verifies every row
 * ended `completed`.
 */
export async function drainNoOpTasks(
  storage: TaskExecutionsStorage,
  count: number,
  options: Parameters<typeof DurableExecutor.make>[1],
  onProgress?: (completed: number) => void,
): Promise<DrainResult> {
  const completed = new CountdownCounter()
  const tracked = trackCompletions(storage, {
    onCompleted: () => {
      completed.add()
      onProgress?.(completed.count)
    },
  })
  const executor = await DurableExecutor.make(tracked, options)
  executor.task({ id: 'noop', timeoutMs: 60_000, run: () => undefined })
  try {
    const enqueueStarted = performance.now()
    const ids = await enqueueNoOpBacklog(storage, count)
    const enqueueMs = performance.now() - enqueueStarted
    const drainStarted = performance.now()
    await executor.start()
    await completed.waitFor(count, 600_000, 'drained tasks')
    const drainMs = performance.now() - drainStarted
    await verifyCompleted(storage, ids)
    return { enqueueSeconds: round(enqueueMs / 1000, 3), drainSeconds: round(drainMs / 1000, 3), tasksPerSecond: round(count / (drainMs / 1000), 0) }
  } finally {
    await executor.shutdown()
  }
}

/** Throws unless every id's row is `completed`. */
async function verifyCompleted(storage: TaskExecutionsStorage, ids: ReadonlyArray<string>): Promise<void> {
  for (let start = 0; start < ids.length; start += 1000) {
    const rows = await storage.getManyById(ids.slice(start, start + 1000).map((executionId) => ({ executionId })))
    const wrong = rows.find((row) => row?.status !== 'completed')
    if (rows.length !== Math.min(1000, ids.length - start) || wrong !== undefined) {
      throw new Error(`A drained task did not end completed: ${JSON.stringify(wrong?.status ?? 'missing row')}`)
    }
  }
}

/** (b) The drain on every backend and configuration. */
export async function runDrainWorkload(context: BenchContext): Promise<void> {
  const count = context.quick ? 1_000 : 10_000
  for (const backend of context.backends) {
    for (const { set, batching } of configurationsFor(context.quick)) {
      const opened = await openBackend(backend)
      try {
        const result = await drainNoOpTasks(opened.storage, count, executorOptions(set, batching))
        context.results.add({
          workload: 'e2e-drain',
          name: `${count} no-op tasks, ${configurationLabel(set, batching)}`,
          backend,
          config: { options: set, batching, tasks: count },
          metrics: result,
          chart: { metric: 'tasksPerSecond', unit: 'tasks/s, higher is better' },
        })
      } catch (error) {
        context.results.addError('e2e-drain', backend, error)
      } finally {
        await opened.close()
      }
    }
  }
}

/** (c) Steady enqueue rate on PostgreSQL and the SQLite file: latency percentiles. */
export async function runSteadyWorkload(context: BenchContext): Promise<void> {
  const seconds = context.quick ? 3 : 30
  const ratePerSecond = 100
  const backends = context.backends.filter((name) => name === 'postgres' || name === 'sqlite-file')
  for (const backend of backends) {
    // 30 s per configuration would take 4 minutes: the two extremes only.
    for (const { set, batching } of CONFIGURATIONS.filter((entry) => (entry.set === 'tuned') === entry.batching)) {
      const opened = await openBackend(backend)
      try {
        const enqueuedAt = new Map<string, number>()
        const startedAt = new Map<string, number>()
        const finishedAt = new Map<string, number>()
        const finished = new CountdownCounter()
        const tracked = trackCompletions(opened.storage, {
          onCompleted: (executionId) => {
            finishedAt.set(executionId, performance.now())
            finished.add()
          },
        })
        const executor = await DurableExecutor.make(tracked, executorOptions(set, batching))
        const task = executor.task({
          id: 'steady',
          timeoutMs: 60_000,
          run: (ctx) => {
            startedAt.set(ctx.executionId, performance.now())
          },
        })
        await executor.start()
        await sleep(300)
        const total = seconds * ratePerSecond
        const began = performance.now()
        const pending: Array<Promise<void>> = []
        for (let index = 0; index < total; index++) {
          const due = began + (index * 1000) / ratePerSecond
          const wait = due - performance.now()
          if (wait > 0) await sleep(wait)
          const at = performance.now()
          pending.push(
            // The run may start before enqueueTask resolves: times are matched by id afterwards.
            executor.enqueueTask(task).then((handle) => {
              enqueuedAt.set(handle.executionId, at)
            }),
          )
        }
        await Promise.all(pending)
        const achievedRate = total / ((performance.now() - began) / 1000)
        await finished.waitFor(total, 120_000, 'steady-rate tasks')
        await executor.shutdown()
        const toStart: Array<number> = []
        const toFinish: Array<number> = []
        for (const [executionId, at] of enqueuedAt) {
          toStart.push(startedAt.get(executionId)! - at)
          toFinish.push(finishedAt.get(executionId)! - at)
        }
        context.results.add({
          workload: 'e2e-steady',
          name: `${ratePerSecond} tasks/s for ${seconds} s, ${configurationLabel(set, batching)}`,
          backend,
          config: { options: set, batching, ratePerSecond, seconds },
          metrics: {
            startP50Ms: round(percentile(toStart, 50)),
            startP95Ms: round(percentile(toStart, 95)),
            startP99Ms: round(percentile(toStart, 99)),
            finishP50Ms: round(percentile(toFinish, 50)),
            finishP95Ms: round(percentile(toFinish, 95)),
            finishP99Ms: round(percentile(toFinish, 99)),
            samples: toStart.length,
            achievedRate: round(achievedRate, 1),
          },
          chart: { metric: 'startP50Ms', unit: 'ms enqueue-to-start p50, lower is better' },
        })
      } catch (error) {
        context.results.addError('e2e-steady', backend, error)
      } finally {
        await opened.close()
      }
    }
  }
}
