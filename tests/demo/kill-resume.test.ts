/**
 * Kill and resume: the demo runs as a child process, is stopped mid-run (`kill -9`, or Ctrl-C's
 * SIGINT) once some chunks are done and others are held in flight (a test seam: the chunks after
 * the first few wait instead of writing, so the stop lands while the executor holds them), and
 * the same command run again must reach the end result an uninterrupted run reaches: the same
 * counters, processed rows and error rows, and one history entry per chunk (nothing twice). On the
 * SQLite file and on PostgreSQL (tables under a unique prefix).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDemo } from '../../src/demo/index.js'
import type { JobDatabase } from '../../src/index.js'
import { reachableServerUrl } from '../sql/servers.js'
import { batchResult, dropDemoTables, openDemoDatabase, spawnDemo, uniquePrefix } from './harness.js'

const ROWS = 2_000
const CHUNK_SIZE = 100
const CHUNKS = ROWS / CHUNK_SIZE
const HOLD_AFTER_CHUNKS = 4

const directory = mkdtempSync(join(tmpdir(), 'durable-etl-demo-kill-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const backends: Array<{ name: string; url: string; server: boolean }> = [{ name: 'the SQLite file', url: `sqlite:${join(directory, 'demo.db')}`, server: false }]
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) backends.push({ name: 'PostgreSQL', url: postgresUrl, server: true })

for (const backend of backends) {
  describe(`demo kill and resume on ${backend.name}`, () => {
    const prefix = uniquePrefix('d')
    const args = (batch: string) => ['--url', backend.url, '--table-prefix', prefix, '--batch', batch, '--rows', String(ROWS), '--chunk-size', String(CHUNK_SIZE), '--concurrency', '3']
    let database: JobDatabase | undefined
    let uninterrupted: Awaited<ReturnType<typeof batchResult>>

    beforeAll(async () => {
      const quiet = { write: () => true }
      await runDemo({ url: backend.url, tablePrefix: prefix, batch: 'uninterrupted', rows: ROWS, chunkSize: CHUNK_SIZE, concurrency: 3 }, { out: quiet, err: quiet })
      database = await openDemoDatabase(backend.url, prefix)
      uninterrupted = await batchResult(database, 'uninterrupted')
    })
    afterAll(async () => {
      if (database === undefined) return
      if (backend.server) await dropDemoTables(database, prefix)
      await database.close()
    })

    /** Starts the demo, waits until chunks are held after some are done, and stops it with `signal`. */
    async function stopMidRun(batch: string, signal: NodeJS.Signals) {
      const demo = await spawnDemo([...args(batch), '--hold-after-chunks', String(HOLD_AFTER_CHUNKS)])
      await demo.waitForOutput(/holding chunk/)
      const atStop = await batchResult(database!, batch)
      process.kill(demo.pid, signal)
      return { exit: await demo.exited, output: demo.output(), atStop }
    }

    it('reaches the uninterrupted result after kill -9 and the same command again', async () => {
      expect(uninterrupted).toMatchObject({ status: 'completed', chunks: { completed: CHUNKS }, chunkCompletedEvents: CHUNKS })
      const { exit, atStop } = await stopMidRun('killed', 'SIGKILL')
      expect(exit.signal).toBe('SIGKILL')
      expect(atStop.status).toBe('processing')
      expect(atStop.chunks.completed).toBeGreaterThanOrEqual(HOLD_AFTER_CHUNKS)
      expect(atStop.chunks.completed).toBeLessThan(CHUNKS)

      const again = await spawnDemo(args('killed'))
      expect(await again.exited, again.output()).toEqual({ code: 0, signal: null })
      expect(again.output()).toContain('Resuming batch "killed"')
      expect(await batchResult(database!, 'killed')).toEqual(uninterrupted)
    })

    it('reaches the uninterrupted result after Ctrl-C and the same command again', async () => {
      const { exit, output, atStop } = await stopMidRun('interrupted', 'SIGINT')
      expect(exit, output).toEqual({ code: 130, signal: null })
      expect(output).toContain('Run the same command again to resume batch "interrupted"')
      expect(atStop.chunks.completed).toBeLessThan(CHUNKS)

      const again = await spawnDemo(args('interrupted'))
      expect(await again.exited, again.output()).toEqual({ code: 0, signal: null })
      expect(await batchResult(database!, 'interrupted')).toEqual(uninterrupted)
    })
  })
}
