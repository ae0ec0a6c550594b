/**
 * Child process of the ETL workload: loads `rows` raw rows into a batch on `backend` (parts of
 * 5,000, made as they go), then 4 concurrent chunk workers run the README's ETL pattern with pages
 * of 1,000 rows. Reports the seconds of each phase and the RSS before and at peak (sampled every
 * 100 ms), as JSON on stdout's last line. Usage: etl-child.ts <backend> <rows>.
 */
import { etlChunks, loadEtlBatch, processEtlChunk } from '../../src/testing/job-store-suite/etl-pattern.js'
import type { BackendName } from '../backends.js'
import { collectGarbage, samplePeakRss } from '../rss.js'
import { openJobDatabase } from './job-runner.js'

const [backend, rowsText] = process.argv.slice(2) as [BackendName, string]
const rows = Number(rowsText)

const opened = await openJobDatabase(backend)
if (opened === undefined) throw new Error(`the ETL workload needs a SQL backend, not ${backend}`)
try {
  collectGarbage()
  const rss = samplePeakRss()
  const started = performance.now()
  const batchId = await loadEtlBatch(opened.database, rows, 5_000)
  const loaded = performance.now()
  const counts = await Promise.all(etlChunks(rows, 4).map((chunk) => processEtlChunk(opened.database, batchId, chunk.startRow, chunk.endRow, 1_000)))
  const processed = performance.now()
  const peak = rss.stop()
  const batch = await opened.database.batches.findById(batchId)
  const inserted = counts.reduce((sum, count) => sum + count.processed + count.failed, 0)
  if (inserted !== rows || batch?.totalRows !== rows || batch.processedCount + batch.errorCount !== rows) {
    throw new Error(`wrong ETL result: ${inserted} rows inserted, batch ${JSON.stringify(batch)}`)
  }
  console.log(JSON.stringify({
    loadSeconds: (loaded - started) / 1000,
    processSeconds: (processed - loaded) / 1000,
    totalSeconds: (processed - started) / 1000,
    rowsPerSecond: rows / ((processed - started) / 1000),
    rssBeforeMiB: rss.before,
    rssPeakMiB: peak,
  }))
} finally {
  await opened.close()
}
