/**
 * Two runs of one chunk at the same time (a timed-out run still finishing while its retry starts)
 * on PostgreSQL, where they run on two connections: one writes the chunk, the other reports it
 * done, and the batch counts every row once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoBatch } from '../../src/demo/batch.js'
import { processDemoChunk } from '../../src/demo/chunk.js'
import { DEMO_DEFAULTS } from '../../src/demo/options.js'
import type { JobDatabase } from '../../src/index.js'
import { reachableServerUrl } from '../sql/servers.js'
import { dropDemoTables, expectedRows, openDemoDatabase, uniquePrefix } from './harness.js'

const postgresUrl = await reachableServerUrl('PostgreSQL')

if (postgresUrl) {
  describe('demo chunk run twice at once on PostgreSQL', () => {
    const prefix = uniquePrefix('r')
    let database: JobDatabase
    beforeAll(async () => {
      database = await createDemoDatabase()
    })
    afterAll(async () => {
      await dropDemoTables(database, prefix)
      await database.close()
    })
    const createDemoDatabase = async () => {
      const opened = await openDemoDatabase(postgresUrl, prefix)
      await opened.ensureTables()
      return opened
    }

    it.each([1, 2, 3, 4, 5])('writes the chunk once and reports the other run as done (round %i)', async (round) => {
      const options = { ...DEMO_DEFAULTS, batch: `race_${round}`, rows: 300, chunkSize: 300, seed: round }
      const batch = await createDemoBatch(database, options)
      const [chunk] = await database.batchChunks.findChunksForBatch(batch.id)
      const input = { batchId: batch.id, workflowId: batch.workflowId!, chunkId: chunk!.id, chunkIndex: 0, seed: round, startRow: 0, endRow: 300 }
      const outcomes = await Promise.all([processDemoChunk(database, input), processDemoChunk(database, input)])
      const expected = expectedRows(round, 300)
      expect(outcomes.map((outcome) => outcome.alreadyDone).sort()).toEqual([false, true])
      expect(await database.batches.findById(batch.id)).toMatchObject({ processedCount: expected.processedRows.length, errorCount: expected.errorRows.length })
      expect(await database.processedRows.count({ batchId: batch.id })).toBe(expected.processedRows.length)
      expect(await database.workflowHistory.count({ workflowId: batch.workflowId!, event: 'chunk_completed' })).toBe(1)
    })
  })
}
