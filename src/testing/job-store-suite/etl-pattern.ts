/**
 * The ETL pattern of `src/jobs/README.md` as plain functions (no test runner), shared by the
 * suite, the multi-process test's workers and the ETL benchmark: load a batch's raw rows in
 * parts, then chunk workers read their range a page at a time and store processed and error rows
 * in one transaction per page.
 */
import { withTransaction, type JobStore } from '../../jobs/index.js'

/** Every tenth row fails: the transform of the pattern. */
export const failsAt = (rowIndex: number) => rowIndex % 10 === 7

/** The data of raw row `rowIndex`. */
export const rawDataOf = (rowIndex: number) => ({ value: rowIndex * 3, label: `row ${rowIndex}` })

/** Loads `rowCount` raw rows into a new batch, `partSize` rows per call (made as they go); returns the batch id. */
export async function loadEtlBatch(store: JobStore, rowCount: number, partSize = 1_000): Promise<number> {
  const batch = await store.batches.create({ name: 'etl' })
  for (let from = 0; from < rowCount; from += partSize) {
    const part = Array.from({ length: Math.min(partSize, rowCount - from) }, (_, offset) => ({ batchId: batch.id, rowIndex: from + offset, data: rawDataOf(from + offset) }))
    await store.batchRawRows.insertMany(part)
  }
  return batch.id
}

/** One chunk worker: its range `pageSize` rows at a time, one transaction per page. Returns the rows this run inserted. */
export async function processEtlChunk(store: JobStore, batchId: number, startRow: number, endRow: number, pageSize = 100) {
  const counts = { processed: 0, failed: 0 }
  for (let from = startRow; from < endRow; from += pageSize) {
    const page = await withTransaction(store, async (tx) => {
      const raw = await tx.batchRawRows.readRange(batchId, from, Math.min(from + pageSize, endRow))
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
