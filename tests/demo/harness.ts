/**
 * What the demo tests share: the demo as a child process (its output, waiting for a line, its
 * exit), the end result of a batch as the database holds it, the result the seeded source must
 * give, unique table prefixes, and dropping a prefix's tables on a server.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { getTableName, sql } from 'drizzle-orm'
import { createDatabase, jobTablesInCreationOrder, type JobDatabase } from '../../src/index.js'
import { findDemoBatch } from '../../src/demo/batch.js'
import { sourceOrders } from '../../src/demo/source.js'
import { transformOrder } from '../../src/demo/transform.js'
import { compiledScript } from '../support/compiled-script.js'

/** A demo run in a child process. */
export type DemoProcess = {
  readonly pid: number
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  /** Resolves once its output matches `pattern`; rejects if it exits first. */
  waitForOutput(pattern: RegExp): Promise<void>
  /** Its exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `pnpm demo`'s entry point (compiled, as dist/cli.js is) with `args`, as a user's shell would (stdout not a terminal). */
export async function spawnDemo(args: ReadonlyArray<string>): Promise<DemoProcess> {
  const child = spawn(process.execPath, [await compiledScript('src/cli.ts'), 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8')
    for (const listener of listeners) listener()
  }
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return {
    pid: child.pid!,
    output: () => text,
    waitForOutput: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return
          listeners.delete(check)
          resolve()
        }
        listeners.add(check)
        check()
        void exited.then(({ code, signal }) => {
          if (listeners.delete(check)) reject(new Error(`The demo exited (code ${code}, signal ${signal}) before printing ${pattern}:\n${text}`))
        })
      }),
    exited,
  }
}

/** A prefix no other test uses, short enough for PostgreSQL's 24-character task table name (`<prefix>task_executions`). */
export const uniquePrefix = (label: string) => `${label}${randomBytes(3).toString('hex')}_`

/** The end result of a batch: its counters and status, every processed and error row, and its history. */
export async function batchResult(database: JobDatabase, batchName: string) {
  const batch = await findDemoBatch(database, batchName)
  if (batch === undefined) throw new Error(`No batch named ${batchName}`)
  const processed = await database.processedRows.findMany({ where: { batchId: batch.id }, orderBy: { rowIndex: 'asc' } })
  const errors = await database.errorRows.findMany({ where: { batchId: batch.id }, orderBy: { rowIndex: 'asc' } })
  return {
    status: batch.status,
    totalRows: batch.totalRows,
    processedCount: batch.processedCount,
    errorCount: batch.errorCount,
    chunks: await database.batchChunks.countChunksByStatus(batch.id),
    chunkCompletedEvents: await database.workflowHistory.count({ workflowId: batch.workflowId!, event: 'chunk_completed' }),
    processedRows: processed.map((row) => ({ rowIndex: row.rowIndex, data: row.data })),
    errorRows: errors.map((row) => ({ rowIndex: row.rowIndex, data: row.data, error: row.error })),
  }
}

/** The rows the seeded source gives: each valid order transformed, each invalid one with its error. */
export function expectedRows(seed: number, rows: number) {
  const outcomes = sourceOrders(seed, 0, rows).map((order, rowIndex) => ({ rowIndex, order, result: transformOrder(order) }))
  return {
    processedRows: outcomes.flatMap(({ rowIndex, result }) => (result.ok ? [{ rowIndex, data: result.order }] : [])),
    errorRows: outcomes.flatMap(({ rowIndex, order, result }) => (result.ok ? [] : [{ rowIndex, data: order, error: result.error }])),
  }
}

/** Opens the database at `url` with the demo's tables under `prefix`. */
export const openDemoDatabase = (url: string, tablePrefix: string) => createDatabase({ url, tablePrefix, loadEnvFile: false })

/** Drops every table the demo made under the database's prefix (children first). */
export async function dropDemoTables(database: JobDatabase, tablePrefix: string): Promise<void> {
  const names = [`${tablePrefix}task_executions`, ...jobTablesInCreationOrder(database.tables).reverse().map((table) => getTableName(table))]
  for (const name of names) await database.session.executeStatement(sql`drop table if exists ${sql.identifier(name)}`)
}
