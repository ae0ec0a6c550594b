/**
 * Exact batch counters and paged raw rows: inserts report the rows the database stored and add
 * exactly that to the batch's counters in the same transaction (so a re-run, or a rolled-back
 * unit, changes nothing); increments return their own result under concurrency; raw rows are
 * loaded in parts and read by range or page.
 */
import { describe, expect, it } from 'vitest'
import { JobRecordNotFoundError, withTransaction } from '../../jobs/index.js'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** Registers the batch-counter and raw-row cases. */
export function describeBatchCounterCases(options: JobStoreSuiteOptions): void {
  describe('batch counters and raw rows', () => {
    it('counts rows inserted in the batch counters, once per row, however often the insert runs', async () => {
      await withFreshStore(options, async (store) => {
        const batch = await store.batches.create({ name: 'b' })
        const other = await store.batches.create({ name: 'other' })
        const rows = [0, 1, 2, 1].map((rowIndex) => ({ batchId: batch.id, rowIndex, data: { rowIndex } }))
        // Two rows of the same index in one call: the first is kept and counted once.
        expect(await store.processedRows.insertMany([...rows, { batchId: other.id, rowIndex: 0 }])).toBe(4)
        expect(await store.processedRows.insertMany([...rows, { batchId: other.id, rowIndex: 0 }])).toBe(0)
        expect(await store.errorRows.insertMany([{ batchId: batch.id, rowIndex: 3, error: 'bad' }])).toBe(1)
        expect(await store.processedRows.insertMany([])).toBe(0)
        expect(await store.batches.findById(batch.id)).toMatchObject({ processedCount: 3, errorCount: 1 })
        expect(await store.batches.findById(other.id)).toMatchObject({ processedCount: 1, errorCount: 0 })
        expect((await store.processedRows.findOne({ batchId: batch.id, rowIndex: 1 }))?.data).toEqual({ rowIndex: 1 })
      })
    })

    it('rolls the counters back with the rows when the enclosing transaction fails', async () => {
      await withFreshStore(options, async (store) => {
        const batch = await store.batches.create({ name: 'b' })
        const failure = new Error('after the insert')
        await expect(withTransaction(store, async (tx) => {
          expect(await tx.processedRows.insertMany([{ batchId: batch.id, rowIndex: 0 }])).toBe(1)
          throw failure
        })).rejects.toBe(failure)
        expect(await store.batches.findById(batch.id)).toMatchObject({ processedCount: 0 })
        expect(await store.processedRows.countByBatch(batch.id)).toBe(0)
      })
    })

    it('refuses rows of a batch that does not exist, inserting nothing', async () => {
      await withFreshStore(options, async (store) => {
        const batch = await store.batches.create({ name: 'b' })
        await expect(store.processedRows.insertMany([{ batchId: batch.id, rowIndex: 0 }, { batchId: batch.id + 1_000, rowIndex: 0 }]))
          .rejects.toBeInstanceOf(JobRecordNotFoundError)
        expect(await store.processedRows.count()).toBe(0)
        expect(await store.batches.findById(batch.id)).toMatchObject({ processedCount: 0 })
      })
    })

    it('returns each increment its own new count while others increment the same batch', async () => {
      await withFreshStore(options, async (store) => {
        const batch = await store.batches.create({ name: 'b' })
        // Increments of 1, 2, 4, … 2^19: every partial sum is distinct, so each result names who was before it.
        const amounts = Array.from({ length: 20 }, (_, index) => 2 ** index)
        const results = await Promise.all(amounts.map((by) => store.batches.incrementProcessedCount(batch.id, by)))
        const total = amounts.reduce((sum, by) => sum + by, 0)
        expect(Math.max(...results)).toBe(total)
        // Each result holds its own amount and is reached by adding it to the result just before it.
        const ordered = results.map((result, index) => ({ result, by: amounts[index]! })).sort((a, b) => a.result - b.result)
        ordered.forEach(({ result, by }, index) => {
          expect(result & by).toBe(by)
          expect(result).toBe((index === 0 ? 0 : ordered[index - 1]!.result) + by)
        })
        expect(await store.batches.incrementErrorCount(batch.id, 5)).toBe(5)
        await expect(store.batches.incrementErrorCount(batch.id + 1_000)).rejects.toBeInstanceOf(JobRecordNotFoundError)
      })
    })

    it('stores raw rows in parts, counts them in totalRows, and reads them by range and page', async () => {
      await withFreshStore(options, async (store) => {
        const batch = await store.batches.create({ name: 'b' })
        const rows = Array.from({ length: 250 }, (_, rowIndex) => ({ batchId: batch.id, rowIndex, data: { value: `row ${rowIndex}` } }))
        expect(await store.batchRawRows.insertMany(rows.slice(0, 100))).toBe(100)
        expect(await store.batchRawRows.insertMany(rows.slice(50))).toBe(150)
        expect(await store.batchRawRows.insertMany(rows)).toBe(0)
        expect(await store.batches.findById(batch.id)).toMatchObject({ totalRows: 250 })
        const range = await store.batchRawRows.readRange(batch.id, 40, 60)
        expect(range.map((row) => row.rowIndex)).toEqual(Array.from({ length: 20 }, (_, index) => 40 + index))
        expect(range[0]?.data).toEqual({ value: 'row 40' })
        const paged: Array<number> = []
        for (let fromRow = 0; ;) {
          const page = await store.batchRawRows.readPage(batch.id, { fromRow, limit: 64 })
          if (page.length === 0) break
          expect(page.length).toBeLessThanOrEqual(64)
          paged.push(...page.map((row) => row.rowIndex))
          fromRow = page.at(-1)!.rowIndex + 1
        }
        expect(paged).toEqual(rows.map((row) => row.rowIndex))
        await expect(store.batchRawRows.readPage(batch.id, { limit: 0 })).rejects.toThrow(/limit/)
      })
    })
  })
}
