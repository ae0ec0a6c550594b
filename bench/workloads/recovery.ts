/**
 * Recovery after SIGKILLs (issue 11): two worker processes drain a steady stream of short tasks
 * (5 s leases); both workers are SIGKILLed and restarted a few times, 3 s apart. Reported per backend: how
 * long after the last kill every task enqueued before it had finished (target: within 10 s), and
 * how long until the completion rate was back to 90 % of the rate before the faults (target:
 * within 5 s). Upstream needs about two minutes: an expired row goes to the back of the queue
 * behind the whole backlog, and its lease is the default leeway of 5 minutes plus the timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { DurableExecutor } from '../../src/index.js'
import { openStorage, type StorageLocation } from '../../tests/sql/fixtures/open-storage.js'
import { ensureServerDatabases, withWorkerLocations } from '../backends.js'
import type { BenchContext } from '../context.js'
import { round } from '../stats.js'
import { RECOVERY_EXECUTOR_OPTIONS, registerRecoveryTask } from './recovery-worker.js'

const WORKER = 'bench/workloads/recovery-worker.ts'
/** Tasks enqueued per second, in batches every 100 ms. */
const ENQUEUE_RATE = 200
const SAMPLE_MS = 250

type Timeline = Array<{ at: number; completed: number }>

/** Starts a worker; each `.` it prints (a finished run) is counted in `finishedRuns`. */
function startWorker(where: StorageLocation, finishedRuns: { count: number }): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(where)], { stdio: ['ignore', 'pipe', 'inherit'] })
  child.stdout.on('data', (chunk: Buffer) => (finishedRuns.count += chunk.length))
  return child
}


const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs the scenario on one backend; returns the figures. */
async function measureRecovery(where: StorageLocation, quick: boolean): Promise<Record<string, number>> {
  const opened = await openStorage(where)
  const enqueuer = await DurableExecutor.make(opened.storage, RECOVERY_EXECUTOR_OPTIONS)
  const task = registerRecoveryTask(enqueuer)
  const finishedRuns = { count: 0 }
  const workers = [startWorker(where, finishedRuns), startWorker(where, finishedRuns)]
  const ids: Array<{ executionId: string }> = []
  const timeline: Timeline = []
  let enqueuing = true
  const producer = (async () => {
    for (let batch = 0; enqueuing; batch++) {
      const handles = await Promise.all(Array.from({ length: ENQUEUE_RATE / 10 }, (_, index) => enqueuer.enqueueTask(task, batch * 100 + index)))
      for (const handle of handles) ids.push({ executionId: handle.executionId })
      await pause(100)
    }
  })()
  const startedAt = Date.now()
  const sampler = setInterval(() => timeline.push({ at: Date.now() - startedAt, completed: finishedRuns.count }), SAMPLE_MS)
  try {
    const warmupMs = quick ? 6_000 : 10_000
    const killEveryMs = 3_000
    const kills = quick ? 2 : 4
    await pause(warmupMs)
    let lastKillAt = 0
    let enqueuedAtLastKill = 0
    // Each fault kills every worker, so the runs in flight are lost and must come back by expiry.
    for (let kill = 0; kill < kills; kill++) {
      for (const [index, worker] of workers.entries()) {
        worker.kill('SIGKILL')
        workers[index] = startWorker(where, finishedRuns)
      }
      lastKillAt = Date.now() - startedAt
      enqueuedAtLastKill = ids.length
      if (kill < kills - 1) await pause(killEveryMs)
    }
    const idsAtLastKill = ids.slice(0, enqueuedAtLastKill)
    // Every task enqueued before the last kill finished (the ones in flight on killed workers too).
    let allFinishedAt: number | undefined
    const deadline = Date.now() + 60_000
    // Only the executions that were not completed yet are read again.
    let pending = idsAtLastKill
    while (allFinishedAt === undefined && Date.now() < deadline) {
      const rows = await opened.storage.getManyById(pending)
      pending = pending.filter((_, index) => rows[index]?.status !== 'completed')
      if (pending.length === 0) allFinishedAt = Date.now() - startedAt
      else await pause(100)
    }
    await pause(quick ? 3_000 : 6_000)
    return summarise(timeline, { warmupMs, lastKillAt, allFinishedAt, tasksBeforeLastKill: idsAtLastKill.length, kills })
  } finally {
    enqueuing = false
    clearInterval(sampler)
    await producer
    for (const worker of workers) worker.kill('SIGKILL')
    await enqueuer.shutdown()
    await opened.close({ dropTable: true })
  }
}

/** The figures of one run from its timeline. */
function summarise(
  timeline: Timeline,
  run: { warmupMs: number; lastKillAt: number; allFinishedAt: number | undefined; tasksBeforeLastKill: number; kills: number },
): Record<string, number> {
  const rateBetween = (from: number, to: number) => {
    const inWindow = timeline.filter((sample) => sample.at >= from && sample.at <= to)
    const first = inWindow[0]
    const last = inWindow.at(-1)
    return first && last && last.at > first.at ? ((last.completed - first.completed) * 1000) / (last.at - first.at) : 0
  }
  // The rate over the last 3 s before the faults, once the workers have caught up after starting.
  const baseline = rateBetween(run.warmupMs - 3_000, run.warmupMs)
  const backAt = timeline.find((sample) => sample.at >= run.lastKillAt && rateBetween(sample.at - 1000, sample.at) >= 0.9 * baseline)
  return {
    killRounds: run.kills,
    tasksBeforeLastKill: run.tasksBeforeLastKill,
    baselineTasksPerSecond: round(baseline, 0),
    allFinishedSecondsAfterLastKill: run.allFinishedAt === undefined ? Number.NaN : round((run.allFinishedAt - run.lastKillAt) / 1000, 2),
    throughputBackTo90PercentSeconds: backAt === undefined ? Number.NaN : round((backAt.at - run.lastKillAt) / 1000, 2),
  }
}

/** Runs the recovery workload on the SQLite file, PostgreSQL and MariaDB when chosen. */
export async function runRecoveryWorkload(context: BenchContext): Promise<void> {
  await withWorkerLocations('te_recovery', async (locations) => {
    for (const backend of context.backends) {
      const where = locations[backend]
      if (!where) continue
      try {
        await ensureServerDatabases(backend)
        const metrics = await measureRecovery(where, context.quick)
        const missed = [
          metrics.allFinishedSecondsAfterLastKill! > 10 || Number.isNaN(metrics.allFinishedSecondsAfterLastKill) ? 'every task finished later than 10 s after the last kill' : '',
          metrics.throughputBackTo90PercentSeconds! > 5 || Number.isNaN(metrics.throughputBackTo90PercentSeconds) ? 'throughput back to 90 % later than 5 s after it' : '',
        ].filter(Boolean)
        context.results.add({
          workload: 'recovery',
          name: `SIGKILLs of both of 2 workers draining ${ENQUEUE_RATE} tasks/s, 5 s leases`,
          backend,
          config: { enqueueRate: ENQUEUE_RATE, leaseSeconds: 5 },
          metrics,
          chart: { metric: 'allFinishedSecondsAfterLastKill', unit: 's until every task enqueued before the last SIGKILL finished, lower is better' },
          ...(missed.length > 0 ? { note: `target missed: ${missed.join('; ')}` } : {}),
        })
      } catch (error) {
        context.results.addError('recovery', backend, error)
      }
    }
  })
}
