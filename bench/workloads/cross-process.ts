/**
 * Cross-process latency (issue 13): the usual deployment, one process that enqueues (an API) and
 * another that runs (a worker). The enqueuing process calls `enqueueTask` at a steady 100 tasks/s;
 * the worker process records when each run starts. Reported per backend and option set: p50, p95
 * and p99 of enqueue-to-start, in milliseconds (both processes read the same machine clock). On
 * PostgreSQL the worker is woken by LISTEN/NOTIFY; on MariaDB and SQLite by its polled change
 * version; the polling interval is only the backstop.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { DurableExecutor } from '../../src/index.js'
import { openStorage, type StorageLocation } from '../../tests/sql/fixtures/open-storage.js'
import { ensureServerDatabases, withWorkerLocations } from '../backends.js'
import type { BenchContext } from '../context.js'
import { executorOptions, type OptionSet } from '../executor-options.js'
import { percentile, round, sleep } from '../stats.js'
import { registerLatencyProbe } from './wakeup-worker.js'

const WORKER = 'bench/workloads/wakeup-worker.ts'
const TASKS_PER_SECOND = 100
/** Probes enqueued before measuring, so connections and the listener are warm. */
const WARMUP_PROBES = 50

/** Starts the worker process; resolves once it is ready, with the start time of every probe it runs. */
async function startWorker(where: StorageLocation, set: OptionSet): Promise<{ child: ChildProcess; startedAt: Map<number, number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(where), set], { stdio: ['ignore', 'pipe', 'inherit'] })
  const startedAt = new Map<number, number>()
  const lines = createInterface({ input: child.stdout })
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the worker process exited with code ${String(code)} before it was ready`)))
    lines.on('line', (line) => {
      if (line === 'ready') return resolve()
      const { id, startedAt: at } = JSON.parse(line) as { id: number; startedAt: number }
      startedAt.set(id, at)
    })
  })
  return { child, startedAt }
}

/** Enqueues probes at the steady rate in one process and reads their start times from the worker. */
async function measureLatency(where: StorageLocation, set: OptionSet, probes: number): Promise<Record<string, number>> {
  const opened = await openStorage(where)
  const worker = await startWorker(where, set)
  const enqueuer = await DurableExecutor.make(opened.storage, executorOptions(set, false))
  const probe = registerLatencyProbe(enqueuer)
  const enqueuedAt = new Map<number, number>()
  try {
    const total = WARMUP_PROBES + probes
    const beginning = Date.now()
    for (let id = 0; id < total; id++) {
      // A steady schedule: probe `id` goes out at beginning + id * 10 ms, whatever the last one took.
      await sleep(Math.max(0, beginning + (id * 1000) / TASKS_PER_SECOND - Date.now()))
      const at = Date.now()
      enqueuedAt.set(id, at)
      await enqueuer.enqueueTask(probe, { id, enqueuedAt: at })
    }
    const deadline = Date.now() + 30_000
    while (worker.startedAt.size < total && Date.now() < deadline) await sleep(50)
    const latencies = [...enqueuedAt.entries()]
      .filter(([id]) => id >= WARMUP_PROBES)
      .map(([id, at]) => (worker.startedAt.get(id) ?? Number.NaN) - at)
    const missing = latencies.filter(Number.isNaN).length
    if (missing > 0) throw new Error(`${missing} of ${probes} probes never started within 30 s`)
    return {
      probes,
      p50Ms: round(percentile(latencies, 50), 1),
      p95Ms: round(percentile(latencies, 95), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      maxMs: round(Math.max(...latencies), 1),
    }
  } finally {
    worker.child.kill('SIGKILL')
    await enqueuer.shutdown()
    await opened.close({ dropTable: true })
  }
}

/** Runs the latency workload on the SQLite file, PostgreSQL and MariaDB when chosen. */
export async function runCrossProcessWorkload(context: BenchContext): Promise<void> {
  const probes = context.quick ? 200 : 1_000
  await withWorkerLocations('te_wakeups', async (locations) => {
    for (const backend of context.backends) {
      const where = locations[backend]
      if (!where) continue
      for (const set of ['default', 'tuned'] as const) {
        try {
          await ensureServerDatabases(backend)
          const metrics = await measureLatency(where, set, probes)
          context.results.add({
            workload: 'cross-process',
            name: `enqueue in one process, run in another, ${TASKS_PER_SECOND} tasks/s, ${set} options`,
            backend,
            config: { tasksPerSecond: TASKS_PER_SECOND, options: set, probes },
            metrics,
            chart: { metric: 'p50Ms', unit: 'ms from enqueueTask to the run starting in the other process (p50), lower is better' },
          })
        } catch (error) {
          context.results.addError('cross-process', backend, error)
        }
      }
    }
  })
}
