/**
 * Workload 3, the drain side by side on one PostgreSQL database: ours (default and tuned options,
 * batching off and on), pg-boss 10 and graphile-worker 0.17 (each in its default configuration and
 * tuned as its docs recommend), all at the same worker concurrency. Each peer gets a schema of its
 * own, dropped afterwards. Reported as jobs/s and the ratio ours / theirs.
 */
import { Logger, makeWorkerUtils, run as runGraphileWorker } from 'graphile-worker'
import PgBoss from 'pg-boss'
import pg from 'pg'
import { openBackend, PG_BENCH_URL } from '../backends.js'
import type { BenchContext } from '../context.js'
import { configurationLabel, configurationsFor, executorOptions } from '../executor-options.js'
import { CountdownCounter, round, sleep } from '../stats.js'
import { drainNoOpTasks } from './end-to-end.js'

/** Jobs run at once by every contender. */
const CONCURRENCY = 100

const silentLogger = new Logger(() => () => {})

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_BENCH_URL })
  await client.connect()
  try {
    await client.query(`drop schema if exists ${schema} cascade`)
  } finally {
    await client.end()
  }
}

/** Polls `query` (a count) on its own connection until it returns `target`. */
async function waitForCount(query: string, target: number, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: PG_BENCH_URL })
  await client.connect()
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const { rows } = await client.query<{ n: number }>(query)
      if (rows[0]!.n === target) return
      if (Date.now() > deadline) throw new Error(`Timed out: ${query} returned ${rows[0]!.n}, expected ${target}`)
      await sleep(20)
    }
  } finally {
    await client.end()
  }
}

type PeerResult = { enqueueSeconds: number; drainSeconds: number; tasksPerSecond: number }

/** pg-boss: default = CONCURRENCY workers of one job each; tuned = one worker fetching batches of 100, polling every 0.5 s. */
async function drainPgBoss(count: number, tuned: boolean): Promise<PeerResult> {
  const schema = `bench_pgboss_${process.pid}`
  const queue = 'bench_noop'
  const boss = new PgBoss({ connectionString: PG_BENCH_URL, schema, max: 10, supervise: false, schedule: false })
  boss.on('error', (error) => console.error('pg-boss error:', error))
  await boss.start()
  try {
    await boss.createQueue(queue)
    const enqueueStarted = performance.now()
    for (let start = 0; start < count; start += 1000) {
      await boss.insert(Array.from({ length: Math.min(1000, count - start) }, (_, index) => ({ name: queue, data: { n: start + index } })))
    }
    const enqueueMs = performance.now() - enqueueStarted
    const handled = new CountdownCounter()
    const drainStarted = performance.now()
    if (tuned) {
      await boss.work(queue, { batchSize: CONCURRENCY, pollingIntervalSeconds: 0.5 }, (jobs) => {
        handled.add(jobs.length)
        return Promise.resolve()
      })
    } else {
      for (let worker = 0; worker < CONCURRENCY; worker++) {
        await boss.work(queue, (jobs) => {
          handled.add(jobs.length)
          return Promise.resolve()
        })
      }
    }
    await handled.waitFor(count, 600_000, 'pg-boss jobs')
    await waitForCount(`select count(*)::int as n from ${schema}.job where name = '${queue}' and state = 'completed'`, count, 600_000)
    const drainMs = performance.now() - drainStarted
    return { enqueueSeconds: round(enqueueMs / 1000, 3), drainSeconds: round(drainMs / 1000, 3), tasksPerSecond: round(count / (drainMs / 1000), 0) }
  } finally {
    await boss.stop({ graceful: false, wait: true })
    await dropSchema(schema)
  }
}

/** graphile-worker: default = concurrentJobs only; tuned = local queue and batched completion. */
async function drainGraphileWorker(count: number, tuned: boolean): Promise<PeerResult> {
  const schema = `bench_graphile_${process.pid}`
  // The docs suggest concurrentJobs + 2 clients; PostgreSQL's default max_connections (100) allows fewer.
  const pool = new pg.Pool({ connectionString: PG_BENCH_URL, max: 20 })
  pool.on('error', (error) => console.error('graphile-worker pool error:', error.message))
  // graphile-worker warns about (and installs its own) handlers unless each client has one too.
  pool.on('connect', (client) => client.on('error', (error) => console.error('graphile-worker client error:', error.message)))
  const preset = {
    worker: {
      connectionString: PG_BENCH_URL,
      schema,
      concurrentJobs: CONCURRENCY,
      maxPoolSize: 20,
      ...(tuned ? { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } : {}),
    },
  }
  const utils = await makeWorkerUtils({ pgPool: pool, schema, logger: silentLogger })
  try {
    await utils.migrate()
    const enqueueStarted = performance.now()
    for (let start = 0; start < count; start += 1000) {
      await utils.addJobs(Array.from({ length: Math.min(1000, count - start) }, (_, index) => ({ identifier: 'noop', payload: { n: start + index } })))
    }
    const enqueueMs = performance.now() - enqueueStarted
    const handled = new CountdownCounter()
    const drainStarted = performance.now()
    const runner = await runGraphileWorker({
      pgPool: pool,
      preset,
      logger: silentLogger,
      noHandleSignals: true,
      taskList: {
        noop: () => {
          handled.add()
          return Promise.resolve()
        },
      },
    })
    try {
      await handled.waitFor(count, 600_000, 'graphile-worker jobs')
      // Finished jobs are deleted; batched completion may still be in flight.
      await waitForCount(`select count(*)::int as n from ${schema}._private_jobs`, 0, 600_000)
      const drainMs = performance.now() - drainStarted
      return { enqueueSeconds: round(enqueueMs / 1000, 3), drainSeconds: round(drainMs / 1000, 3), tasksPerSecond: round(count / (drainMs / 1000), 0) }
    } finally {
      await runner.stop()
    }
  } finally {
    await utils.release()
    await pool.end()
    await dropSchema(schema)
  }
}

/** Runs workload 3 when PostgreSQL is among the chosen backends. */
export async function runPeerWorkload(context: BenchContext): Promise<void> {
  if (!context.backends.includes('postgres')) {
    console.log('  (skipped: needs the postgres backend)')
    return
  }
  const count = context.quick ? 500 : 10_000
  const ours: Array<{ label: string; tasksPerSecond: number }> = []
  for (const { set, batching } of configurationsFor(context.quick)) {
    const opened = await openBackend('postgres')
    try {
      const result = await drainNoOpTasks(opened.storage, count, executorOptions(set, batching, { maxConcurrentTaskExecutions: CONCURRENCY }))
      ours.push({ label: `ratioOurs${set === 'tuned' ? 'Tuned' : 'Default'}${batching ? 'On' : 'Off'}`, tasksPerSecond: result.tasksPerSecond })
      context.results.add({
        workload: 'peers',
        name: `drain ${count}, concurrency ${CONCURRENCY}, ${configurationLabel(set, batching)}`,
        backend: 'ours (postgres)',
        config: { options: set, batching, tasks: count, concurrency: CONCURRENCY },
        metrics: result,
        chart: { metric: 'tasksPerSecond', unit: 'jobs/s, higher is better' },
      })
    } catch (error) {
      context.results.addError('peers', 'ours', error)
    } finally {
      await opened.close()
    }
  }
  const peers = [
    // pg-boss's default drain is bound by its polling (about 50 jobs/s), so a fifth of the jobs
    // measures the same rate in a fifth of the time (10,000 would take over 3 minutes).
    { backend: 'pg-boss 10', label: `default (1 job per fetch), ${Math.ceil(count / 5)} jobs`, drain: () => drainPgBoss(Math.ceil(count / 5), false) },
    { backend: 'pg-boss 10', label: 'tuned (batchSize 100)', drain: () => drainPgBoss(count, true) },
    { backend: 'graphile-worker 0.17', label: 'default', drain: () => drainGraphileWorker(count, false) },
    { backend: 'graphile-worker 0.17', label: 'tuned (localQueue 500, completeJobBatchDelay 0)', drain: () => drainGraphileWorker(count, true) },
  ]
  for (const peer of peers) {
    try {
      const result = await peer.drain()
      const ratios: Record<string, number> = {}
      for (const our of ours) ratios[our.label] = round(our.tasksPerSecond / result.tasksPerSecond, 2)
      context.results.add({
        workload: 'peers',
        name: `drain ${count}, concurrency ${CONCURRENCY}, ${peer.label}`,
        backend: peer.backend,
        config: { tasks: count, concurrency: CONCURRENCY, configuration: peer.label },
        metrics: { ...result, ...ratios },
        chart: { metric: 'tasksPerSecond', unit: 'jobs/s, higher is better' },
      })
    } catch (error) {
      context.results.addError('peers', peer.backend, error)
    }
  }
}
