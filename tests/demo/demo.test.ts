/**
 * The durable ETL demo end to end on an embedded SQLite file: exact counts and rows from the seeded
 * source (invalid orders as error rows), one history entry per chunk, a second run that finds the
 * batch done and changes nothing, `--fresh`, a chunk run twice, DATABASE_URL, an unreachable server, and the options it refuses.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { processDemoChunk } from '../../src/demo/chunk.js'
import { findDemoBatch } from '../../src/demo/batch.js'
import { DemoDatabaseUnreachableError, DemoOptionError, runDemo, type DemoIo, type DemoOptions } from '../../src/demo/index.js'
import { batchResult, expectedRows, openDemoDatabase } from './harness.js'

const directory = mkdtempSync(join(tmpdir(), 'durable-etl-demo-test-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const url = `sqlite:${join(directory, 'demo.db')}`
const OPTIONS = { url, rows: 1_200, chunkSize: 100, concurrency: 3, seed: 7 } satisfies Partial<DemoOptions>

function capture(): DemoIo & { text: () => string } {
  let text = ''
  const output = { write: (chunk: string) => (text += chunk) }
  return { out: output, err: output, text: () => text }
}

async function resultOf(batchName: string) {
  const database = await openDemoDatabase(url, '')
  try {
    return await batchResult(database, batchName)
  } finally {
    await database.close()
  }
}

describe('durable ETL demo on a SQLite file', () => {
  it('writes every valid order as a processed row and every invalid one as an error row, with exact counters', async () => {
    const io = capture()
    const result = await runDemo({ ...OPTIONS, batch: 'end_to_end' }, io)
    const expected = expectedRows(OPTIONS.seed, OPTIONS.rows)
    expect(expected.errorRows.length).toBeGreaterThan(0)
    expect(result).toEqual({
      status: 'completed',
      resumed: false,
      summary: expect.objectContaining({ totalRows: OPTIONS.rows, processed: expected.processedRows.length, errors: expected.errorRows.length, chunks: 12 }),
    })
    expect(await resultOf('end_to_end')).toEqual({
      status: 'completed',
      totalRows: OPTIONS.rows,
      processedCount: expected.processedRows.length,
      errorCount: expected.errorRows.length,
      chunks: { pending: 0, processing: 0, completed: 12, failed: 0 },
      chunkCompletedEvents: 12,
      ...expected,
    })
    expect(io.text()).toContain(`${OPTIONS.rows} rows, ${expected.processedRows.length} processed, ${expected.errorRows.length} errors, 12 chunks`)
    expect(io.text()).toMatch(/progress: chunks 12\/12, rows 1200\/1200 \(100%\)/)
  })

  it('finds a completed batch by its name on the next run and changes nothing', async () => {
    const before = await resultOf('end_to_end')
    const io = capture()
    const result = await runDemo({ ...OPTIONS, batch: 'end_to_end' }, io)
    expect(result).toMatchObject({ status: 'completed', resumed: true })
    expect(io.text()).toContain('Nothing was left to do')
    expect(await resultOf('end_to_end')).toEqual(before)
  })

  it('starts the batch again from nothing with fresh', async () => {
    const database = await openDemoDatabase(url, '')
    const oldId = (await findDemoBatch(database, 'end_to_end'))!.id
    await database.close()
    const io = capture()
    const result = await runDemo({ ...OPTIONS, batch: 'end_to_end', fresh: true }, io)
    expect(result).toMatchObject({ status: 'completed', resumed: false })
    expect(io.text()).toContain(`Deleted batch "end_to_end" (#${oldId})`)
    const reopened = await openDemoDatabase(url, '')
    try {
      expect((await findDemoBatch(reopened, 'end_to_end'))!.id).not.toBe(oldId)
      expect(await reopened.batches.count({ name: 'end_to_end' })).toBe(1)
      expect(await reopened.processedRows.count()).toBe(expectedRows(OPTIONS.seed, OPTIONS.rows).processedRows.length)
    } finally {
      await reopened.close()
    }
  })

  it('changes nothing when a chunk that is done runs again', async () => {
    const database = await openDemoDatabase(url, '')
    try {
      const batch = (await findDemoBatch(database, 'end_to_end'))!
      const [chunk] = await database.batchChunks.findChunksForBatch(batch.id)
      const before = await batchResult(database, 'end_to_end')
      const input = { batchId: batch.id, workflowId: batch.workflowId!, chunkId: chunk!.id, chunkIndex: 0, seed: OPTIONS.seed, startRow: chunk!.startRow, endRow: chunk!.endRow }
      expect(await processDemoChunk(database, input)).toEqual({ chunkIndex: 0, processed: 0, errors: 0, alreadyDone: true })
      expect(await batchResult(database, 'end_to_end')).toEqual(before)
    } finally {
      await database.close()
    }
  })

  it('runs on the database DATABASE_URL names when no URL is given', async () => {
    const fromEnvironment = `sqlite:${join(directory, 'from-env.db')}`
    const previous = process.env.DATABASE_URL
    process.env.DATABASE_URL = fromEnvironment
    try {
      const io = capture()
      const { url: _url, ...withoutUrl } = OPTIONS
      expect(await runDemo({ ...withoutUrl, rows: 200, batch: 'from_env' }, io)).toMatchObject({ status: 'completed' })
      expect(io.text()).toContain(`Durable ETL demo on ${fromEnvironment} (SQLite).`)
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = previous
    }
    const database = await openDemoDatabase(fromEnvironment, '')
    try {
      expect(await batchResult(database, 'from_env')).toMatchObject({ status: 'completed', totalRows: 200 })
    } finally {
      await database.close()
    }
  })

  it('names an unreachable server and how to go on, without its password', async () => {
    const attempt = runDemo({ ...OPTIONS, url: 'postgres://demo:hunter2@127.0.0.1:1/none' }, capture())
    await expect(attempt).rejects.toThrow(DemoDatabaseUnreachableError)
    await expect(attempt).rejects.toThrow(/^Cannot reach the database at postgres:\/\/demo:\*\*\*@127\.0\.0\.1:1\/none \(.*ECONNREFUSED.*\): start it, or pass another --url/)
    await expect(attempt).rejects.not.toThrow(/hunter2/)
  })

  it.each([
    [{ rows: 0 }, 'Invalid --rows 0'],
    [{ rows: 100_000, chunkSize: 10 }, 'pass --chunk-size 100 or more'],
    [{ concurrency: 1.5 }, 'Invalid --concurrency 1.5'],
  ])('refuses %o before opening the database', async (options, message) => {
    const attempt = runDemo({ ...OPTIONS, url: 'postgres://nobody@127.0.0.1:1/none', ...options }, capture())
    await expect(attempt).rejects.toThrow(DemoOptionError)
    await expect(attempt).rejects.toThrow(message)
  })
})
