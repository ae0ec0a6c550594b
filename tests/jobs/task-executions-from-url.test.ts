/**
 * `openTaskExecutionsStorage`: the task-executions storage on a database `createDatabase` opened,
 * once per local backend and server: a task enqueued through it runs and its row is read back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DurableExecutor } from '../../src/index.js'
import { createDatabase, openTaskExecutionsStorage } from '../../src/jobs-entry.js'
import { uniqueTableName } from '../sql/backends.js'
import { reachableServer } from './backends.js'

async function runOneTask(url: string): Promise<void> {
  const database = await createDatabase({ url, loadEnvFile: false })
  try {
    const tableName = uniqueTableName('te_url')
    const storage = await openTaskExecutionsStorage(database, { tableName, ensureTable: true, enableTestMode: true })
    const executor = await DurableExecutor.make(storage, { backgroundProcessIntraBatchSleepMs: 20 })
    try {
      const double = executor.task({ id: 'double', timeoutMs: 5_000, run: (_ctx, input: number) => input * 2 })
      await executor.start()
      const handle = await executor.enqueueTask(double, 21)
      const finished = await handle.waitAndGetFinishedExecution()
      expect(finished).toMatchObject({ status: 'completed', output: 42 })
      const [row] = await storage.getManyById([{ executionId: handle.executionId, filters: {} }])
      expect(row).toMatchObject({ taskId: 'double', status: 'completed' })
      await storage.deleteAll()
    } finally {
      await executor.shutdown()
    }
  } finally {
    await database.close()
  }
}

describe('openTaskExecutionsStorage', () => {
  it.each([['better-sqlite3', 'file'], ['libsql', 'libsql'], ['PGlite', 'pglite']] as const)(
    'runs a task through the storage on a %s database opened from a URL',
    async (_name, scheme) => {
      const directory = mkdtempSync(join(tmpdir(), 'te-url-'))
      try {
        await runOneTask(scheme === 'pglite' ? `pglite:${join(directory, 'pgdata')}` : `${scheme}:${join(directory, 'te.db')}`)
      } finally {
        rmSync(directory, { recursive: true, force: true })
      }
    },
  )
})

const postgres = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
const mariaDb = await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')
describe.each([postgres, mariaDb].filter((url) => url !== undefined))('openTaskExecutionsStorage on %s', (url) => {
  it('runs a task through the storage on the server opened from its URL', async () => {
    await runOneTask(url)
  })
})
