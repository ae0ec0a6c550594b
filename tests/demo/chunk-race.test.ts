/**
 * Chunks written at the same time on the servers, where they run on separate connections: two
 * runs of one chunk (a timed-out run still finishing while its retry starts) write it once, the
 * other reporting it done; chunks of one batch written together never deadlock on the batch row
 * (MariaDB's foreign-key share locks); and the batch counts every row once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoBatch } from '../../src/demo/batch.js'
import { processDemoChunk } from '../../src/demo/chunk.js'
import { DEMO_DEFAULTS } from '../../src/demo/options.js'
import type { JobDatabase } from '../../src/index.js'
import { reachableServerUrl } from '../sql/servers.js'
import { dropDemoTables, expectedRows, openDemoDatabase, uniquePrefix } from './harness.js'

const servers: Array<{ name: string; url: string }> = []
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) servers.push({ name: 'PostgreSQL', url: postgresUrl })
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) servers.push({ name: 'MariaDB', url: mariaDbUrl })

for (const server of servers) {
  describe(`demo chunks written at once on ${server.name}`, () => {
    const prefix = uniquePrefix('r')
    let database: JobDatabase
    beforeAll(async () => {
      database = await openDemoDatabase(server.url, prefix)
      await database.ensureTables()
    })
    afterAll(async () => {
      await dropDemoTables(database, prefix)
      await database.close()
    })

    async function batchOf(name: string, seed: number, rows: number, chunkSize: number) {
      const batch = await createDemoBatch(database, { ...DEMO_DEFAULTS, batch: name, rows, chunkSize, seed })
      const chunks = await database.batchChunks.findChunksForBatch(batch.id)
      const inputs = chunks.map((chunk) => ({ batchId: batch.id, workflowId: batch.workflowId!, chunkId: chunk.id, chunkIndex: chunk.chunkIndex, seed, startRow: chunk.startRow, endRow: chunk.endRow }))
      return { batch, inputs }
    }

    async function expectCountedOnce(batch: { id: number; workflowId: number | null }, seed: number, rows: number, chunks: number) {
      const expected = expectedRows(seed, rows)
      expect(await database.batches.findById(batch.id)).toMatchObject({ processedCount: expected.processedRows.length, errorCount: expected.errorRows.length })
      expect(await database.processedRows.count({ batchId: batch.id })).toBe(expected.processedRows.length)
      expect(await database.errorRows.count({ batchId: batch.id })).toBe(expected.errorRows.length)
      expect(await database.workflowHistory.count({ workflowId: batch.workflowId!, event: 'chunk_completed' })).toBe(chunks)
    }

    it.each([1, 2, 3])('writes a chunk run twice at once once, the other run reporting it done (round %i)', async (round) => {
      const { batch, inputs } = await batchOf(`twice_${round}`, round, 300, 300)
      const outcomes = await Promise.all([processDemoChunk(database, inputs[0]!), processDemoChunk(database, inputs[0]!)])
      expect(outcomes.map((outcome) => outcome.alreadyDone).sort()).toEqual([false, true])
      await expectCountedOnce(batch, round, 300, 1)
    })

    it.each([1, 2, 3])('writes four chunks of one batch at once without a deadlock (round %i)', async (round) => {
      const { batch, inputs } = await batchOf(`together_${round}`, round, 800, 200)
      const outcomes = await Promise.all(inputs.map((input) => processDemoChunk(database, input)))
      expect(outcomes.map((outcome) => outcome.alreadyDone)).toEqual([false, false, false, false])
      await expectCountedOnce(batch, round, 800, 4)
    })
  })
}
