/**
 * Crash recovery on the real servers: an executor process is SIGKILLed while it runs tasks; once
 * their leases expire, an executor in another process runs each of them exactly once more.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DurableExecutor } from '../../src/core/index.js'
import { mariaDbBackend, postgresBackend, uniqueTableName, type OpenedBackend, type SqlBackend } from './backends.js'
import { compiledScript } from '../support/compiled-script.js'
import { reachableServerUrl } from './servers.js'

const servers: Array<{ backend: SqlBackend<unknown>; dialect: 'pg' | 'mysql'; url: string }> = []
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) servers.push({ backend: postgresBackend(postgresUrl) as SqlBackend<unknown>, dialect: 'pg', url: postgresUrl })
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) servers.push({ backend: mariaDbBackend(mariaDbUrl) as SqlBackend<unknown>, dialect: 'mysql', url: mariaDbUrl })

const TASKS = 20

for (const { backend, dialect, url } of servers) {
  describe(`crash recovery on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    let tableName: string
    beforeAll(async () => {
      tableName = uniqueTableName('te_crash')
      opened = await backend.open(tableName)
    })
    afterAll(async () => {
      await opened.close()
    })

    it(`finishes in another process the ${TASKS} tasks of an executor killed mid-run, each run once more`, async () => {
      const survivorRuns = new Map<number, number>()
      const survivor = await DurableExecutor.make(opened.storage, { expireLeewayMs: 0, backgroundProcessIntraBatchSleepMs: 50, logLevel: 'error' })
      const task = survivor.task({
        id: 'crash_task',
        timeoutMs: 5_000,
        run: (_context, input: number) => {
          survivorRuns.set(input, (survivorRuns.get(input) ?? 0) + 1)
          return `finished ${input} by the survivor`
        },
      })
      const handles = await Promise.all(Array.from({ length: TASKS }, (_, index) => survivor.enqueueTask(task, index)))

      // A plain `node` process running the worker compiled once for this file.
      const victim = spawn(process.execPath, [await compiledScript('tests/sql/fixtures/crash-worker.ts'), dialect, url, tableName], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const exited = new Promise((resolve) => victim.on('exit', resolve))
      for (;;) {
        const rows = await opened.storage.getManyById(handles.map((handle) => ({ executionId: handle.executionId })))
        if (rows.every((row) => row?.status === 'running' && row.executorId !== undefined)) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      victim.kill('SIGKILL')
      await exited

      await survivor.start()
      try {
        const finished = await Promise.all(handles.map((handle) => handle.waitAndGetFinishedExecution({ pollingIntervalMs: 100 })))
        expect(finished.map((execution) => [execution.status, execution.status === 'completed' ? execution.output : undefined, execution.retryAttempts])).toEqual(
          handles.map((_, index) => ['completed', `finished ${index} by the survivor`, 0]),
        )
        expect([...survivorRuns.values()]).toEqual(Array.from({ length: TASKS }, () => 1))
      } finally {
        await survivor.shutdown()
      }
    }, 60_000)
  })
}
