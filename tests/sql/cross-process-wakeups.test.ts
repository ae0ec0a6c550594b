/**
 * Work enqueued by one OS process starts in another without waiting for a poll: the worker's
 * loops poll every 10 minutes, so only the storage's change signal can start its tasks
 * (LISTEN/NOTIFY on PostgreSQL, a polled version on MariaDB, a watched file on SQLite, whose
 * version is read only after a write to it). On PostgreSQL the
 * listener survives a killed connection (on a private instance), and an enqueue inside a
 * transaction notifies on commit only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, describe, it } from 'vitest'
import Database from 'better-sqlite3'
import { drizzle as drizzleBetterSqlite } from 'drizzle-orm/better-sqlite3'
import { DurableExecutor } from '../../src/core/index.js'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable, ensureSQLiteTaskExecutionsTables } from '../../src/sqlite.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { countCalls } from './driver-recording.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable, ensurePgTaskExecutionsTables } from '../../src/pg.js'
import { startPrivateServerOrSkip } from '../faults/servers/availability.js'
import { startPrivatePostgres } from '../faults/servers/private-postgres.js'
import { uniqueTableName } from './backends.js'
import { openStorage, type StorageLocation } from './fixtures/open-storage.js'
import { registerWokenTask, WAKEUP_WORKER_OPTIONS } from './fixtures/wakeup-worker.js'
import { compiledScript } from '../support/compiled-script.js'
import { reachableServerUrl } from './servers.js'

const directory = mkdtempSync(join(tmpdir(), 'de-wakeup-'))
const privatePostgres = await startPrivateServerOrSkip('PostgreSQL', startPrivatePostgres)
afterAll(async () => {
  await privatePostgres?.stop()
  rmSync(directory, { recursive: true, force: true })
})

const locations: Array<{ name: string; where: StorageLocation }> = [
  { name: 'sqlite (better-sqlite3, WAL file)', where: { dialect: 'sqlite', location: join(directory, 'wakeup.sqlite'), tableName: 'te_wakeup' } },
]
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) locations.push({ name: 'pg (PostgreSQL server)', where: { dialect: 'pg', location: postgresUrl, tableName: uniqueTableName('te_wake') } })
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) locations.push({ name: 'mysql (MariaDB server)', where: { dialect: 'mysql', location: mariaDbUrl, tableName: uniqueTableName('te_wake') } })

/** Starts a worker; resolves once its executor runs, with the ids of the executions it starts. */
async function startWorker(where: StorageLocation) {
  // A plain `node` process running the worker compiled once for this file.
  const child: ChildProcess = spawn(process.execPath, [await compiledScript('tests/sql/fixtures/wakeup-worker.ts'), JSON.stringify(where)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const started: Array<string> = []
  let pending = ''
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`The worker exited early [code=${code}]`)))
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (line === 'ready') resolve()
        else if (line.startsWith('started ')) started.push(line.slice('started '.length))
      }
    })
  })
  return { started, stop: () => child.kill('SIGKILL') }
}

/** Runs `check` with an executor that enqueues `woken` tasks at `where` and a worker process that runs them. */
async function withEnqueuerAndWorker(
  where: StorageLocation,
  check: (enqueue: () => Promise<{ executionId: string }>, worker: { started: Array<string> }) => Promise<void>,
): Promise<void> {
  const opened = await openStorage(where)
  const enqueuer = await DurableExecutor.make(opened.storage, WAKEUP_WORKER_OPTIONS)
  const woken = registerWokenTask(enqueuer, () => undefined)
  const worker = await startWorker(where)
  try {
    await check(() => enqueuer.enqueueTask(woken), worker)
  } finally {
    worker.stop()
    await opened.close({ dropTable: true })
  }
}

describe.concurrent('cross-process wake-ups', () => {
  for (const { name, where } of locations) {
    it(`starts a task enqueued in another process without waiting for a poll (${name})`, async ({ expect }) => {
      await withEnqueuerAndWorker(where, async (enqueue, worker) => {
        for (let round = 0; round < 2; round++) {
          const handle = await enqueue()
          await expect.poll(() => worker.started, { timeout: 30_000 }).toContain(handle.executionId)
        }
      })
    }, 90_000)
  }

  it('reads a SQLite file\'s version only after another connection wrote the file, and then hears the change (better-sqlite3, WAL file)', async ({ expect }) => {
    const file = join(directory, 'watched.sqlite')
    const [listening, writing] = [new Database(file), new Database(file)]
    listening.pragma('journal_mode = WAL')
    const reads: Array<string> = []
    countCalls(listening, 'prepare', { record: (statement) => reads.push(String(statement)) })
    const table = createSQLiteTaskExecutionsTable('te_watched')
    const listeningDb = drizzleBetterSqlite({ client: listening })
    await ensureSQLiteTaskExecutionsTables(listeningDb, [table])
    const storage = createSQLiteTaskExecutionsStorage(listeningDb, table)
    const other = createSQLiteTaskExecutionsStorage(drizzleBetterSqlite({ client: writing }), table)
    let changes = 0
    reads.length = 0
    const subscription = await storage.subscribeToChanges(() => changes++)
    try {
      // The baseline only: a poll (every second when quiet) would have read again by now.
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      expect(reads).toEqual(['pragma data_version'])
      await other.insertMany([buildTaskExecutionRow()])
      await expect.poll(() => changes, { timeout: 10_000 }).toBe(1)
    } finally {
      await subscription.unsubscribe()
      listening.close()
      writing.close()
    }
  })

  // One after the other: the first kills every connection of the server, which would otherwise reach
  // the second's listener mid-test (its reconnection is reported as a change).
  if (privatePostgres) describe.sequential('on a private PostgreSQL', () => {
    const where: StorageLocation = { dialect: 'pg', location: privatePostgres.url, tableName: 'te_wakeup' }

    it('starts a task enqueued in another process after its listening connection was killed (private PostgreSQL)', async ({ expect }) => {
      await withEnqueuerAndWorker(where, async (enqueue, worker) => {
        // Every connection but this test's own: the worker's listener and pool alike.
        expect(await privatePostgres.killConnections()).toBeGreaterThan(0)
        const handle = await enqueue()
        await expect.poll(() => worker.started, { timeout: 30_000 }).toContain(handle.executionId)
      })
    }, 90_000)

    it('notifies an enqueue made in a transaction when it commits, and not when it rolls back (private PostgreSQL)', async ({ expect }) => {
      const pool = new pg.Pool({ connectionString: privatePostgres.url })
      const db = drizzleNodePg({ client: pool })
      const table = createPgTaskExecutionsTable('te_notify')
      await ensurePgTaskExecutionsTables(db, [table])
      const storage = createPgTaskExecutionsStorage(db, table, { enableTestMode: true })
      const enqueuer = await DurableExecutor.make(storage, WAKEUP_WORKER_OPTIONS)
      const woken = registerWokenTask(enqueuer, () => undefined)
      let changes = 0
      const subscription = await storage.subscribeToChanges(() => changes++)
      try {
        await db
          .transaction(async (tx) => {
            await enqueuer.enqueueTask(woken, undefined, { taskExecutionsStorageTransaction: storage.bindToTransaction(tx) })
            throw new Error('roll back')
          })
          .catch(() => undefined)
        // Nothing may arrive for the rolled-back enqueue (a notification takes milliseconds).
        await new Promise((resolve) => setTimeout(resolve, 1_000))
        expect(changes).toBe(0)
        // A committed enqueue afterwards: its notification proves the listener was listening.
        const committed = await db.transaction(async (tx) =>
          enqueuer.enqueueTask(woken, undefined, { taskExecutionsStorageTransaction: storage.bindToTransaction(tx) }),
        )
        await expect.poll(() => changes, { timeout: 10_000 }).toBe(1)
        const rows = await db.execute(sql`select execution_id from ${table}`)
        expect(rows.rows.map((row) => row.execution_id)).toEqual([committed.executionId])
      } finally {
        await subscription.unsubscribe()
        await pool.end()
      }
    }, 60_000)
  })
})
