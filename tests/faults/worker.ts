/**
 * A worker process of the fault suite: it opens the storage exactly as a user would (a plain pool
 * or connection, the library's factory, no extra error listeners: surviving driver errors is the
 * library's job), runs the workload's tasks with short leases, records every run in its history
 * file, and runs until SIGTERM. An uncaught exception or unhandled rejection is recorded as a
 * crash before the process exits, so the checker can count it.
 * Started by scenario.ts as `node --import tsx tests/faults/worker.ts` with its configuration in
 * the environment (worker-config.ts).
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle as drizzleBetterSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { DurableExecutor, type TaskExecutionsStorage } from '../../src/core/index.js'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable } from '../../src/mysql.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable } from '../../src/pg.js'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable } from '../../src/sqlite.js'
import { openHistory, wallClockMs } from './history.js'
import { readWorkerConfig, type WorkerConfig } from './worker-config.js'
import { registerFaultTasks } from './workload.js'

/** Exit code of a worker that crashed on an uncaught exception or unhandled rejection. */
const CRASH_EXIT_CODE = 70

const config = readWorkerConfig()
const history = openHistory(join(config.historyDirectory, `worker-${process.pid}.jsonl`))

function recordCrash(origin: string, error: unknown): never {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  history.append({ type: 'crash', pid: process.pid, at: wallClockMs(), origin, message })
  process.stderr.write(`fault worker ${process.pid} crashed (${origin}): ${error instanceof Error ? error.stack : message}\n`)
  process.exit(CRASH_EXIT_CODE)
}
process.on('uncaughtException', (error) => recordCrash('uncaughtException', error))
process.on('unhandledRejection', (reason) => recordCrash('unhandledRejection', reason))
history.append({ type: 'hello', pid: process.pid, at: wallClockMs() })

function openStorage({ dialect, target, tableName }: WorkerConfig): { storage: TaskExecutionsStorage; close: () => Promise<void> } {
  if (dialect === 'pg') {
    const pool = new pg.Pool({ connectionString: target, max: 10 })
    return { storage: createPgTaskExecutionsStorage(drizzleNodePg({ client: pool }), createPgTaskExecutionsTable(tableName)), close: () => pool.end() }
  }
  if (dialect === 'mysql') {
    const pool = mysql.createPool({ uri: target, connectionLimit: 10 })
    return { storage: createMySqlTaskExecutionsStorage(drizzleMysql({ client: pool }), createMySqlTaskExecutionsTable(tableName)), close: () => pool.end() }
  }
  const client = new Database(target)
  return { storage: createSQLiteTaskExecutionsStorage(drizzleBetterSqlite({ client }), createSQLiteTaskExecutionsTable(tableName)), close: async () => void client.close() }
}

const { storage, close } = openStorage(config)
let counter = 0
const executor = await DurableExecutor.make(storage, {
  logLevel: 'error',
  expireLeewayMs: config.expireLeewayMs,
  backgroundProcessIntraBatchSleepMs: config.backgroundProcessIntraBatchSleepMs,
  maxConcurrentTaskExecutions: config.maxConcurrentTaskExecutions,
  enableStorageBatching: config.enableStorageBatching,
})
registerFaultTasks(
  executor,
  {
    start(key, attempt) {
      const runId = `${process.pid}-${++counter}`
      history.append({ type: 'start', runId, key, attempt, pid: process.pid, at: wallClockMs() })
      return runId
    },
    finish(runId, key, outcome, designed) {
      history.append({ type: 'finish', runId, key, outcome, designed, at: wallClockMs() })
    },
  },
  config.timing,
)

process.once('SIGTERM', () => {
  void (async () => {
    await executor.shutdown()
    await close()
    history.close()
    process.exit(0)
  })()
})
await executor.start()
process.stdout.write('ready\n')
