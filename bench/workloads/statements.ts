/**
 * Workload 4, statements and committed transactions per finished task: counted at the driver (every
 * statement, polling included) and, on PostgreSQL, from `pg_stat_database.xact_commit` of the
 * benchmark database (the pool is ended and a flush interval waited before each read). Waves of 1
 * and of 250 concurrent no-op tasks, batching off and on; the idle rate is measured apart, after a
 * settle time and over a window (also alone, as workload `idle`).
 */
import pg from 'pg'
import { DurableExecutor } from '../../src/index.js'
import { BENCH_DATABASE, openBackend, PG_URL, type OpenedBackend } from '../backends.js'
import type { BenchContext } from '../context.js'
import { configurationLabel, executorOptions } from '../executor-options.js'
import { CountdownCounter, round, sleep } from '../stats.js'
import { trackCompletions } from '../tracking-storage.js'

/** PostgreSQL flushes a session's statistics at most once a second, and when it ends. */
const STATS_FLUSH_WAIT_MS = 1_500

/** Committed transactions of the benchmark database, read from another database. */
async function readXactCommit(): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>('select xact_commit::text as n from pg_stat_database where datname = $1', [BENCH_DATABASE])
    return Number(rows[0]?.n ?? Number.NaN)
  } finally {
    await client.end()
  }
}

/** Runs `waves` waves of `width` concurrent tasks and waits until every one is closed. */
async function runWaves(opened: OpenedBackend, batching: boolean, width: number, waves: number): Promise<number> {
  const closed = new CountdownCounter()
  const storage = trackCompletions(opened.storage, { onClosed: () => closed.add() })
  const executor = await DurableExecutor.make(storage, executorOptions('default', batching))
  const task = executor.task({ id: 'counted', timeoutMs: 60_000, run: () => undefined })
  await executor.start()
  const started = performance.now()
  try {
    for (let wave = 0; wave < waves; wave++) {
      await Promise.all(Array.from({ length: width }, () => executor.enqueueTask(task)))
      await closed.waitFor((wave + 1) * width, 120_000, 'closed tasks')
    }
    return performance.now() - started
  } finally {
    await executor.shutdown()
  }
}

async function measure(context: BenchContext, name: OpenedBackend['name'], label: string, body: (opened: OpenedBackend) => Promise<{ tasks: number; ms: number }>): Promise<void> {
  const opened = await openBackend(name)
  const withStats = name === 'postgres'
  try {
    if (withStats) await sleep(STATS_FLUSH_WAIT_MS)
    const before = withStats ? await readXactCommit() : Number.NaN
    opened.statements.reset()
    const { tasks, ms } = await body(opened)
    const counted = opened.statements.snapshot()
    await opened.release()
    if (withStats) await sleep(STATS_FLUSH_WAIT_MS)
    const commits = withStats ? (await readXactCommit()) - before : Number.NaN
    const per = tasks > 0 ? tasks : ms / 1000
    const metrics: Record<string, number> = {
      statementsPer: round(counted.total / per, 3),
      explicitTransactionsPer: round(counted.commits / per, 3),
      statements: counted.total,
      seconds: round(ms / 1000, 2),
    }
    if (withStats) {
      metrics.xactCommitPer = round(commits / per, 3)
      metrics.xactCommit = commits
    }
    context.results.add({
      workload: 'statements',
      name: `${label} (per ${tasks > 0 ? 'finished task' : 'second'})`,
      backend: name,
      config: { label },
      metrics,
      chart: { metric: withStats ? 'xactCommitPer' : 'statementsPer', unit: 'per finished task or per idle second' },
    })
  } catch (error) {
    context.results.addError('statements', name, error)
  } finally {
    await opened.close()
  }
}

/** Runs workload 4 on every chosen SQL backend (database statistics on PostgreSQL only). */
export async function runStatementWorkload(context: BenchContext): Promise<void> {
  for (const name of context.backends.filter((backend) => backend !== 'memory')) {
    for (const batching of [false, true]) {
      for (const [width, waves] of [
        [1, context.quick ? 10 : 50],
        [250, context.quick ? 2 : 8],
      ] as const) {
        await measure(context, name, `${width} concurrent, ${waves} waves, ${configurationLabel('default', batching)}`, async (opened) => ({
          tasks: width * waves,
          ms: await runWaves(opened, batching, width, waves),
        }))
      }
    }
    await measureIdle(context, name)
  }
}

/**
 * The idle rate: an executor with nothing to do, counted only once its start-up sweeps are over and
 * every "recent change" window has passed (the settle), over a window long enough for the slowest
 * backstop to show. Start and shutdown are outside the count.
 */
async function measureIdle(context: BenchContext, name: OpenedBackend['name']): Promise<void> {
  const settleSeconds = context.quick ? 2 : IDLE_SETTLE_SECONDS
  const idleSeconds = context.quick ? 5 : IDLE_WINDOW_SECONDS
  const opened = await openBackend(name)
  try {
    const executor = await DurableExecutor.make(opened.storage, executorOptions('default', false))
    await executor.start()
    await sleep(settleSeconds * 1000)
    opened.statements.reset()
    await sleep(idleSeconds * 1000)
    const counted = opened.statements.snapshot()
    await executor.shutdown()
    context.results.add({
      workload: 'statements',
      name: `idle executor for ${idleSeconds} s after ${settleSeconds} s, default options (per second)`,
      backend: name,
      config: { label: 'idle' },
      metrics: { statementsPer: round(counted.total / idleSeconds, 3), statements: counted.total, seconds: idleSeconds },
      chart: { metric: 'statementsPer', unit: 'per finished task or per idle second' },
    })
  } catch (error) {
    context.results.addError('statements', name, error)
  } finally {
    await opened.close()
  }
}

/** Long enough for the start-up sweeps and any "changes are coming" interval to end. */
const IDLE_SETTLE_SECONDS = 15
/** Long enough to include the slowest backstop of the loops (60 s with a change signal). */
const IDLE_WINDOW_SECONDS = 60

/** Only the idle rate of workload 4 (workload `idle`), on every chosen SQL backend. */
export async function runIdleWorkload(context: BenchContext): Promise<void> {
  for (const name of context.backends.filter((backend) => backend !== 'memory')) await measureIdle(context, name)
}
