/**
 * The README's ETL pattern in four OS processes at once, each with its own connection, on one
 * SQLite file (where the processes contend for the file's write lock) and on the real servers;
 * then all four run again. Rows and counters are exact, and no conflict reaches a worker (a
 * worker that sees one exits non-zero and fails the test).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openFreshStore, uniqueTablePrefix } from '../../src/testing/job-store-suite/harness.js'
import { expectExactEtlResult } from '../../src/testing/job-store-suite/etl.js'
import { etlChunks, loadEtlBatch } from '../../src/testing/job-store-suite/etl-pattern.js'
import { openUrl, reachableServer } from './backends.js'
import { runTogether, startWorkerProcess, type WorkerProcess } from './worker-processes.js'

const ROW_COUNT = 4_000
const PROCESS_COUNT = 4

type Counts = { processed: number; failed: number }

async function runChunkProcesses(url: string, tablePrefix: string, batchId: number): Promise<Array<Counts>> {
  const workers: Array<WorkerProcess> = []
  try {
    for (const [index, chunk] of etlChunks(ROW_COUNT, PROCESS_COUNT).entries()) {
      workers.push(await startWorkerProcess('tests/jobs/fixtures/etl-chunk-worker.ts', [url, tablePrefix, String(batchId), String(chunk.startRow), String(chunk.endRow)], `chunk-${index}`))
    }
    return await runTogether<Counts>(workers)
  } finally {
    for (const worker of workers) worker.child.kill()
  }
}

function describeMultiProcessEtl(name: string, url: () => { readonly url: string; readonly cleanup: () => void }): void {
  describe(`the ETL pattern on ${name}`, () => {
    it(`runs ${ROW_COUNT} rows through ${PROCESS_COUNT} OS processes and a full re-run with exact rows and counters`, async () => {
      const target = url()
      const tablePrefix = uniqueTablePrefix()
      const opened = await openFreshStore({ openStore: (prefix) => openUrl(target.url, prefix) }, tablePrefix)
      try {
        const batchId = await loadEtlBatch(opened.store, ROW_COUNT)
        const firstRun = await runChunkProcesses(target.url, tablePrefix, batchId)
        expect(firstRun.reduce((sum, counts) => sum + counts.processed + counts.failed, 0)).toBe(ROW_COUNT)
        await expectExactEtlResult(opened.store, batchId, ROW_COUNT)
        const reRun = await runChunkProcesses(target.url, tablePrefix, batchId)
        expect(reRun).toEqual(Array.from({ length: PROCESS_COUNT }, () => ({ processed: 0, failed: 0 })))
        await expectExactEtlResult(opened.store, batchId, ROW_COUNT)
      } finally {
        await opened.close()
        target.cleanup()
      }
    }, 180_000)
  })
}

describeMultiProcessEtl('one SQLite file (better-sqlite3, WAL)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'jobs-etl-'))
  return { url: `sqlite:${join(directory, 'jobs.db')}`, cleanup: () => rmSync(directory, { recursive: true, force: true }) }
})
const postgresUrl = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
if (postgresUrl !== undefined) describeMultiProcessEtl('PostgreSQL', () => ({ url: postgresUrl, cleanup: () => undefined }))
const mariaDbUrl = await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')
if (mariaDbUrl !== undefined) describeMultiProcessEtl('MariaDB', () => ({ url: mariaDbUrl, cleanup: () => undefined }))
