/**
 * The ETL pattern of `src/jobs/README.md`, as the suite and the multi-process test run it: load a
 * batch's raw rows in parts, then chunk workers read their range a page at a time and store
 * processed and error rows in one transaction per page; then everything runs again. Rows and
 * counters must be exact after both runs, and no conflict may reach a caller.
 */
import { describe, expect, it } from 'vitest'
import { withTransaction, type JobStore } from '../../jobs/index.js'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** Every tenth row fails: the transform of the pattern. */
const failsAt = (rowIndex: number) => rowIndex % 10 === 7

/** Rows one transaction reads and stores. */
export const ETL_PAGE_SIZE = 100

/** The data of raw row `rowIndex`. */
export const rawDataOf = (rowIndex: number) => ({ value: rowIndex * 3, label: `row ${rowIndex}` })

/** Loads `rowCount` raw rows into a new batch in parts; returns the batch id. */
export async function loadEtlBatch(store: JobStore, rowCount: number): Promise<number> {
  const batch = await store.batches.create({ name: 'etl' })
  for (let from = 0; from < rowCount; from += 1_000) {
    const part = Array.from({ length: Math.min(1_000, rowCount - from) }, (_, offset) => ({ batchId: batch.id, rowIndex: from + offset, data: rawDataOf(from + offset) }))
    await store.batchRawRows.insertMany(part)
  }
  return batch.id
}

/** One chunk worker: its range a page at a time, one transaction per page. Returns the rows this run inserted. */
export async function processEtlChunk(store: JobStore, batchId: number, startRow: number, endRow: number) {
  const counts = { processed: 0, failed: 0 }
  for (let from = startRow; from < endRow; from += ETL_PAGE_SIZE) {
    const page = await withTransaction(store, async (tx) => {
      const raw = await tx.batchRawRows.readRange(batchId, from, Math.min(from + ETL_PAGE_SIZE, endRow))
      const processed = await tx.processedRows.insertMany(
        raw.filter((row) => !failsAt(row.rowIndex)).map((row) => ({ batchId, rowIndex: row.rowIndex, data: { doubled: (row.data as { value: number }).value * 2 } })),
      )
      const failed = await tx.errorRows.insertMany(
        raw.filter((row) => failsAt(row.rowIndex)).map((row) => ({ batchId, rowIndex: row.rowIndex, data: row.data, error: { message: 'rejected' } })),
      )
      return { processed, failed }
    })
    counts.processed += page.processed
    counts.failed += page.failed
  }
  return counts
}

/** The chunk ranges of `rowCount` rows split among `workers`. */
export function etlChunks(rowCount: number, workers: number): Array<{ startRow: number; endRow: number }> {
  const size = Math.ceil(rowCount / workers)
  return Array.from({ length: workers }, (_, index) => ({ startRow: index * size, endRow: Math.min(rowCount, (index + 1) * size) }))
}

/** What the batch must hold after any number of complete runs over `rowCount` rows. */
export async function expectExactEtlResult(store: JobStore, batchId: number, rowCount: number): Promise<void> {
  const failing = Array.from({ length: rowCount }, (_, rowIndex) => rowIndex).filter(failsAt).length
  expect(await store.batches.findById(batchId)).toMatchObject({ totalRows: rowCount, processedCount: rowCount - failing, errorCount: failing })
  expect(await store.processedRows.countByBatch(batchId)).toBe(rowCount - failing)
  expect(await store.errorRows.countByBatch(batchId)).toBe(failing)
  const sample = await store.processedRows.findOne({ batchId, rowIndex: rowCount - 1 })
  if (!failsAt(rowCount - 1)) expect(sample?.data).toEqual({ doubled: (rowCount - 1) * 6 })
}

/** Registers the ETL-pattern case. */
export function describeEtlCases(options: JobStoreSuiteOptions): void {
  const rowCount = Math.round(2_000 * (options.loadFactor ?? 1))

  describe('the ETL pattern', () => {
    it(`runs ${rowCount} rows through 4 concurrent chunk workers and a full re-run with exact rows and counters`, async () => {
      await withFreshStore(options, async (store) => {
        const batchId = await loadEtlBatch(store, rowCount)
        const chunks = etlChunks(rowCount, 4)
        const firstRun = await Promise.all(chunks.map((chunk) => processEtlChunk(store, batchId, chunk.startRow, chunk.endRow)))
        expect(firstRun.reduce((sum, counts) => sum + counts.processed + counts.failed, 0)).toBe(rowCount)
        await expectExactEtlResult(store, batchId, rowCount)
        const reRun = await Promise.all(chunks.map((chunk) => processEtlChunk(store, batchId, chunk.startRow, chunk.endRow)))
        expect(reRun).toEqual(chunks.map(() => ({ processed: 0, failed: 0 })))
        // Loading again changes nothing either.
        expect(await loadEtlBatchRowsAgain(store, batchId, rowCount)).toBe(0)
        await expectExactEtlResult(store, batchId, rowCount)
      })
    }, 120_000)
  })
}

async function loadEtlBatchRowsAgain(store: JobStore, batchId: number, rowCount: number): Promise<number> {
  return store.batchRawRows.insertMany(Array.from({ length: rowCount }, (_, rowIndex) => ({ batchId, rowIndex, data: rawDataOf(rowIndex) })))
}
