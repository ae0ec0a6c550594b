/**
 * Workload 6, the job-runner layer on every SQL backend: `claimStep` throughput with 8 concurrent
 * workers draining one parallel group of steps, and `insertMany` of 10,000 processed rows.
 */
import { sql } from 'drizzle-orm'
import { join } from 'node:path'
import { createDatabase, jobTablesInCreationOrder, type JobDatabase } from '../../src/jobs-entry.js'
import { ensureServerDatabases, MYSQL_BENCH_URL, PG_BENCH_URL, temporaryDirectory, type BackendName } from '../backends.js'
import type { BenchContext } from '../context.js'
import { round } from '../stats.js'

const WORKERS = 8
const PROCESSED_ROWS = 10_000

/** A job database on `backend` with its own table prefix (none for the in-memory backend), and how to drop it. */
export async function openJobDatabase(backend: BackendName): Promise<{ database: JobDatabase; close: () => Promise<void> } | undefined> {
  const tablePrefix = `jb${process.pid.toString(36)}_`
  let directory: ReturnType<typeof temporaryDirectory> | undefined
  let url: string
  switch (backend) {
    case 'memory':
      return undefined
    case 'sqlite-memory':
      url = ':memory:'
      break
    case 'sqlite-file':
      directory = temporaryDirectory('de-bench-jobs-')
      url = `sqlite:${join(directory.path, 'jobs.db')}`
      break
    case 'pglite':
      url = 'pglite:'
      break
    case 'postgres':
      await ensureServerDatabases(backend)
      url = PG_BENCH_URL
      break
    case 'mariadb':
      await ensureServerDatabases(backend)
      url = MYSQL_BENCH_URL
      break
  }
  const database = await createDatabase({ url, tablePrefix, ensureTables: true, loadEnvFile: false, maxClients: 10 })
  return {
    database,
    async close() {
      try {
        for (const table of jobTablesInCreationOrder(database.tables).reverse()) {
          await database.session.executeStatement(sql`drop table if exists ${table}`)
        }
      } finally {
        await database.close()
        directory?.remove()
      }
    },
  }
}

/** Runs workload 6 on every chosen SQL backend. */
export async function runJobRunnerWorkload(context: BenchContext): Promise<void> {
  const steps = context.quick ? 400 : 2_000
  for (const backend of context.backends) {
    let opened: Awaited<ReturnType<typeof openJobDatabase>>
    try {
      opened = await openJobDatabase(backend)
    } catch (error) {
      context.results.addError('job-runner', backend, error)
      continue
    }
    if (!opened) continue
    const { database } = opened
    try {
      const workflow = await database.workflows.create({ name: 'bench', input: null })
      await database.workflowSteps.createMany(
        Array.from({ length: steps }, (_, index) => ({ workflowId: workflow.id, name: `step${index}`, position: 0, status: 'pending' as const, attempts: 0, maxAttempts: 3 })),
      )
      const claimedIds = new Set<number>()
      let duplicates = 0
      const started = performance.now()
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, worker) => {
          for (;;) {
            const step = await database.workflowSteps.claimStep({ workflowId: workflow.id, workerId: `w${worker}`, leaseMs: 60_000 })
            if (!step) return
            if (claimedIds.has(step.id)) duplicates++
            claimedIds.add(step.id)
          }
        }),
      )
      const claimMs = performance.now() - started
      if (duplicates > 0 || claimedIds.size !== steps) {
        throw new Error(`claimStep went wrong: ${claimedIds.size} distinct steps claimed of ${steps}, ${duplicates} claimed twice`)
      }
      context.results.add({
        workload: 'job-runner',
        name: `claimStep, ${WORKERS} workers, ${steps} steps`,
        backend,
        config: { workers: WORKERS, steps },
        metrics: { claimsPerSecond: round(steps / (claimMs / 1000), 0), seconds: round(claimMs / 1000, 3) },
        chart: { metric: 'claimsPerSecond', unit: 'claims/s, higher is better' },
      })

      const batch = await database.batches.create({ name: 'bench' })
      const rows = Array.from({ length: PROCESSED_ROWS }, (_, rowIndex) => ({ batchId: batch.id, rowIndex, data: { rowIndex, value: `row ${rowIndex}` } }))
      const insertStarted = performance.now()
      const statements = await database.processedRows.insertMany(rows)
      const insertMs = performance.now() - insertStarted
      const stored = await database.processedRows.countByBatch(batch.id)
      if (stored !== PROCESSED_ROWS) throw new Error(`insertMany stored ${stored} of ${PROCESSED_ROWS} rows`)
      context.results.add({
        workload: 'job-runner',
        name: `processedRows.insertMany of ${PROCESSED_ROWS} rows`,
        backend,
        config: { rows: PROCESSED_ROWS },
        metrics: { rowsPerSecond: round(PROCESSED_ROWS / (insertMs / 1000), 0), seconds: round(insertMs / 1000, 3), statements },
        chart: { metric: 'rowsPerSecond', unit: 'rows/s, higher is better' },
      })
    } catch (error) {
      context.results.addError('job-runner', backend, error)
    } finally {
      await opened.close()
    }
  }
}
