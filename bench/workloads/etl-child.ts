/**
 * Child process of the ETL workload: loads `rows` raw rows into a batch on `backend` (parts of
 * 5,000, made as they go), then 4 concurrent chunk workers run the README's ETL pattern with pages
 * of 1,000 rows (after a warm-up batch of 1,000 rows). Reports the seconds of each phase, the RSS before and at peak (sampled every
 * 100 ms), and what the machine's load does not change: Node CPU milliseconds per 1,000 rows and
 * the statements the driver was asked to run per 1,000 rows loaded and per page processed (not
 * on PGlite, whose instance is opened inside `createDatabase`), as JSON on stdout's last line.
 * Usage: etl-child.ts <backend> <rows>.
 */
import type Database from 'better-sqlite3'
import type mysql from 'mysql2/promise'
import type pg from 'pg'
import { etlChunks, loadEtlBatch, processEtlChunk } from '../../src/testing/job-store-suite/etl-pattern.js'
import { countCalls, countMysqlPoolQueries, countPgPoolQueries } from '../../tests/sql/driver-recording.js'
import type { BackendName } from '../backends.js'
import { collectGarbage, samplePeakRss } from '../rss.js'
import { openJobDatabase } from './job-runner.js'

const [backend, rowsText] = process.argv.slice(2) as [BackendName, string]
const rows = Number(rowsText)
const PAGE_ROWS = 1_000

const opened = await openJobDatabase(backend)
if (opened === undefined) throw new Error(`the ETL workload needs a SQL backend, not ${backend}`)
/** Statements the driver was asked to run; `undefined` where the driver is not hooked. */
let statements: number | undefined = 0
const sink = { record: () => void (statements = (statements ?? 0) + 1) }
const client = (opened.database.db as { $client?: unknown }).$client
switch (opened.database.driver) {
  case 'node-postgres':
    countPgPoolQueries(client as pg.Pool, sink)
    break
  case 'mysql2':
    countMysqlPoolQueries(client as mysql.Pool, sink)
    break
  case 'better-sqlite3':
    // drizzle prepares every statement it runs (transaction control included).
    countCalls(client as Database.Database, 'prepare', sink)
    break
  default:
    statements = undefined
}
const cpuMs = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1_000
}
try {
  // A small warm-up batch first: modules load and compile (tsx) and the JIT settles outside the measures.
  const warmUpBatch = await loadEtlBatch(opened.database, 1_000, 500)
  await Promise.all(etlChunks(1_000, 4).map((chunk) => processEtlChunk(opened.database, warmUpBatch, chunk.startRow, chunk.endRow, 100)))
  statements = statements === undefined ? undefined : 0
  collectGarbage()
  const rss = samplePeakRss()
  const started = performance.now()
  const cpuStarted = cpuMs()
  const batchId = await loadEtlBatch(opened.database, rows, 5_000)
  const loaded = performance.now()
  const cpuLoaded = cpuMs()
  const loadStatements = statements
  const counts = await Promise.all(etlChunks(rows, 4).map((chunk) => processEtlChunk(opened.database, batchId, chunk.startRow, chunk.endRow, PAGE_ROWS)))
  const processed = performance.now()
  const cpuProcessed = cpuMs()
  const processStatements = statements === undefined || loadStatements === undefined ? undefined : statements - loadStatements
  const peak = rss.stop()
  const batch = await opened.database.batches.findById(batchId)
  const inserted = counts.reduce((sum, count) => sum + count.processed + count.failed, 0)
  if (inserted !== rows || batch?.totalRows !== rows || batch.processedCount + batch.errorCount !== rows) {
    throw new Error(`wrong ETL result: ${inserted} rows inserted, batch ${JSON.stringify(batch)}`)
  }
  const pages = etlChunks(rows, 4).reduce((sum, chunk) => sum + Math.ceil((chunk.endRow - chunk.startRow) / PAGE_ROWS), 0)
  console.log(JSON.stringify({
    loadSeconds: (loaded - started) / 1000,
    processSeconds: (processed - loaded) / 1000,
    totalSeconds: (processed - started) / 1000,
    rowsPerSecond: rows / ((processed - started) / 1000),
    rssBeforeMiB: rss.before,
    rssPeakMiB: peak,
    loadCpuMsPer1000Rows: ((cpuLoaded - cpuStarted) / rows) * 1_000,
    processCpuMsPer1000Rows: ((cpuProcessed - cpuLoaded) / rows) * 1_000,
    ...(loadStatements === undefined || processStatements === undefined
      ? {}
      : { loadStatementsPer1000Rows: (loadStatements / rows) * 1_000, processStatementsPerPage: processStatements / pages }),
  }))
} finally {
  await opened.close()
}
