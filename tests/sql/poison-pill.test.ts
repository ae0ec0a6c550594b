/**
 * A poison pill in real processes: a task that SIGKILLs its own process every time it runs, among
 * ordinary tasks claimed beside it. A supervisor (this test) restarts the worker whenever it dies.
 * The pill ends `failed` after `maxExpiries` expiries, naming the count, and every ordinary task
 * finishes: the ones that died beside it are not blamed for good. On SQLite (WAL file) always, and
 * on PostgreSQL and MariaDB when reachable.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DurableExecutor } from '../../src/core/index.js'
import { uniqueTableName } from './backends.js'
import { openStorage, type StorageLocation } from './fixtures/open-storage.js'
import { PILL_WORKER_OPTIONS, registerPillTasks } from './fixtures/pill-worker.js'
import { compiledScript } from '../support/compiled-script.js'
import { reachableServerUrl } from './servers.js'

const ORDINARY_TASKS = 20
const directory = mkdtempSync(join(tmpdir(), 'de-pill-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const locations: Array<{ name: string; where: StorageLocation }> = [
  { name: 'sqlite (better-sqlite3, WAL file)', where: { dialect: 'sqlite', location: join(directory, 'pill.sqlite'), tableName: 'te_pill' } },
]
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) locations.push({ name: 'pg (PostgreSQL server)', where: { dialect: 'pg', location: postgresUrl, tableName: uniqueTableName('te_pill') } })
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) locations.push({ name: 'mysql (MariaDB server)', where: { dialect: 'mysql', location: mariaDbUrl, tableName: uniqueTableName('te_pill') } })

// Compiled once for this file: each restarted worker is a plain `node` process.
const pillWorkerScript = await compiledScript('tests/sql/fixtures/pill-worker.ts')

function spawnWorker(where: StorageLocation): ChildProcess {
  return spawn(process.execPath, [pillWorkerScript, JSON.stringify(where)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

// The backends run side by side: each has its own table or file.
describe.concurrent('poison pills', () => {
for (const { name, where } of locations) {
  describe(`poison pill on ${name}`, () => {
    it(`fails a task that kills its process after ${PILL_WORKER_OPTIONS.maxExpiries} expiries and finishes the ${ORDINARY_TASKS} beside it`, async () => {
      const opened = await openStorage(where)
      // Enqueues only: this executor is never started, so nothing runs in the test process.
      const enqueuer = await DurableExecutor.make(opened.storage, PILL_WORKER_OPTIONS)
      const { pill, ordinary } = registerPillTasks(enqueuer)
      const pillHandle = await enqueuer.enqueueTask(pill)
      const ordinaryHandles = await Promise.all(Array.from({ length: ORDINARY_TASKS }, (_, index) => enqueuer.enqueueTask(ordinary, index)))
      const allIds = [pillHandle, ...ordinaryHandles].map((handle) => ({ executionId: handle.executionId }))

      let worker: ChildProcess | undefined
      let deaths = 0
      try {
        // The supervisor: a worker that dies is started again, until every execution finished.
        for (;;) {
          const rows = await opened.storage.getManyById(allIds)
          if (rows.every((row) => row?.isFinished)) break
          if (!worker || worker.exitCode !== null || worker.signalCode !== null) {
            if (worker) deaths++
            expect(deaths, 'the worker kept dying: the pill was never stopped').toBeLessThan(20)
            worker = spawnWorker(where)
          }
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      } finally {
        worker?.kill('SIGKILL')
      }

      const pillExecution = await pillHandle.getExecution()
      expect(pillExecution.status).toBe('failed')
      expect(pillExecution.status === 'failed' && pillExecution.error.message).toMatch(
        new RegExp(`^Task execution expired ${PILL_WORKER_OPTIONS.maxExpiries} times without finishing: .*\\[maxExpiries=${PILL_WORKER_OPTIONS.maxExpiries}\\]$`),
      )
      const ordinaryExecutions = await Promise.all(ordinaryHandles.map((handle) => handle.getExecution()))
      expect(ordinaryExecutions.map((execution) => [execution.status, execution.status === 'completed' ? execution.output : undefined])).toEqual(
        ordinaryHandles.map((_, index) => ['completed', index]),
      )
      expect(deaths).toBe(PILL_WORKER_OPTIONS.maxExpiries)
      await enqueuer.shutdown()
      await opened.close({ dropTable: true })
    }, 120_000)
  })
}
})
