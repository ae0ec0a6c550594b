/**
 * The ETL pattern of `src/jobs/README.md` (`etl-pattern.ts`) with four concurrent chunk workers,
 * then everything again: rows and counters must be exact after both runs, and no conflict may
 * reach a caller.
 */
import { describe, expect, it } from 'vitest'
import type { JobStore } from '../../jobs/index.js'
import { etlChunks, failsAt, loadEtlBatch, processEtlChunk, rawDataOf } from './etl-pattern.js'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

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
