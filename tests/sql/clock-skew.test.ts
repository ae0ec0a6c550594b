/**
 * Executors whose clocks disagree never take over each other's live leases: leases are computed
 * on the database's clock (`getCurrentTimeMs`), sampled by each executor. A worker process runs
 * with its clock 30 s ahead of, or behind, the machine's (`shift-clock.mjs`), beside an executor
 * in this process on the machine's clock; whichever claims a task, the other must not run it
 * again while it is held. On SQLite (WAL file), PostgreSQL and MariaDB.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { DurableExecutor } from '../../src/core/index.js'
import { uniqueTableName } from './backends.js'
import { openStorage, type StorageLocation } from './fixtures/open-storage.js'
import { registerHeldTask, SKEW_TEST_OPTIONS } from './fixtures/skewed-worker.js'
import { reachableServerUrl } from './servers.js'

const SKEW_MS = 30_000
const directory = mkdtempSync(join(tmpdir(), 'de-skew-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const locations: Array<{ name: string; where: (suffix: string) => StorageLocation }> = [
  { name: 'sqlite (better-sqlite3, WAL file)', where: (suffix) => ({ dialect: 'sqlite', location: join(directory, `skew_${suffix}.sqlite`), tableName: 'te_skew' }) },
]
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) locations.push({ name: 'pg (PostgreSQL server)', where: () => ({ dialect: 'pg', location: postgresUrl, tableName: uniqueTableName('te_skew') }) })
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) locations.push({ name: 'mysql (MariaDB server)', where: () => ({ dialect: 'mysql', location: mariaDbUrl, tableName: uniqueTableName('te_skew') }) })

/** Starts a skewed worker; resolves once its executor runs, with the execution ids it starts. */
async function startSkewedWorker(where: StorageLocation, skewMs: number, releaseFile: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', './tests/sql/fixtures/shift-clock.mjs', '--import', 'tsx', 'tests/sql/fixtures/skewed-worker.ts', JSON.stringify(where), releaseFile],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CLOCK_SKEW_MS: String(skewMs) } },
  )
  const started: Array<string> = []
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`The skewed worker exited early [code=${code}]`)))
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const lines = output.split('\n')
      output = lines.pop() ?? ''
      for (const line of lines) {
        if (line === 'ready') resolve()
        else if (line.startsWith('started ')) started.push(line.slice('started '.length))
      }
    })
  })
  return { started, stop: () => child.kill('SIGKILL') }
}

describe.concurrent('clock skew', () => {
  for (const { name, where } of locations) {
    for (const skewMs of [SKEW_MS, -SKEW_MS]) {
      const role = skewMs > 0 ? 'ahead' : 'behind'
      it(`lets no executor take over a live lease when one clock runs 30 s ${role} (${name})`, async ({ expect }) => {
        const location = where(role)
        const releaseFile = join(directory, `release_${role}_${location.tableName}`)
        const opened = await openStorage(location)
        const local = await DurableExecutor.make(opened.storage, SKEW_TEST_OPTIONS)
        const localStarts: Array<string> = []
        const held = registerHeldTask(local, releaseFile, (executionId) => localStarts.push(executionId))
        const worker = await startSkewedWorker(location, skewMs, releaseFile)
        try {
          // The worker claims the first task alone and holds it; then this process claims the
          // second (the worker has no free slot), so both hold a lease at once, each exposed to
          // the other's expiry sweep for a while before both are released.
          const first = await local.enqueueTask(held)
          await expect.poll(() => worker.started, { timeout: 30_000 }).toContain(first.executionId)
          await local.start()
          const second = await local.enqueueTask(held)
          await expect.poll(() => localStarts, { timeout: 30_000 }).toContain(second.executionId)
          await new Promise((resolve) => setTimeout(resolve, 1_500))
          writeFileSync(releaseFile, '')
          const finished = await Promise.all([first, second].map((handle) => handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })))
          expect(finished.map((execution) => execution.status)).toEqual(['completed', 'completed'])
          // Each task ran exactly once: neither executor took over the other's live lease.
          const runsOf = (executionId: string) =>
            localStarts.filter((id) => id === executionId).length + worker.started.filter((id) => id === executionId).length
          expect([runsOf(first.executionId), runsOf(second.executionId)]).toEqual([1, 1])
          expect(localStarts).toEqual([second.executionId])
        } finally {
          worker.stop()
          await local.shutdown()
          await opened.close({ dropTable: true })
        }
      }, 60_000)
    }
  }
})
