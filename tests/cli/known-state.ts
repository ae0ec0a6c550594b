/**
 * A database in a known state for the command-line tests: task executions in every situation
 * `inspect` reports and `purge` must tell apart, and job-runner workflows, written through the
 * library (createDatabase, the storage, the repositories) on tables named for the test.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { sql } from 'drizzle-orm'
import type { TaskExecutionStorageValue } from '../../src/core/index.js'
import { createDatabase, openTaskExecutionsStorage, type JobDatabase } from '../../src/jobs-entry.js'
import { compiledScript } from '../support/compiled-script.js'

const run = promisify(execFile)
const DAY_MS = 86_400_000

/** The result of one command-line run. */
export type CliRun = { readonly code: number; readonly stdout: string; readonly stderr: string }

/** Runs `src/cli.ts` (compiled, as dist/cli.js is) in a child process, without DATABASE_URL or a .env file. */
export async function runCli(args: ReadonlyArray<string>): Promise<CliRun> {
  const cli = await compiledScript('src/cli.ts')
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, DATABASE_URL: '', NODE_ENV: 'production' },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}

/** The executions seeded, by role. */
export const SEEDED = {
  /** Purgeable at 7 days: finished and closed 30 days ago, no unfinished relative. */
  purgeable: ['charge-old-done', 'charge-old-failed', 'parent-done', 'child-of-done'],
  /** Kept by a 7-day purge, each for its own reason. */
  kept: [
    'parent-waiting', // unfinished parent
    'child-done-of-waiting', // finished and closed, but its parent is unfinished
    'child-expired', // running with an expired lease
    'charge-recent', // closed an hour ago
    'email-ready-old', // ready
    'email-ready-new', // ready
    'parent-closed', // finished and closed, but its child is not closed yet
    'child-not-closed', // finished, not closed
  ],
} as const

type Shape = {
  id: string
  taskId: string
  status: TaskExecutionStorageValue['status']
  parent?: string
  closedAgoMs?: number
  startAgoMs?: number
  expiresAgoMs?: number
  closeStatus?: TaskExecutionStorageValue['closeStatus']
  message?: string
}

const SHAPES: ReadonlyArray<Shape> = [
  { id: 'charge-old-done', taskId: 'charge', status: 'completed', closedAgoMs: 30 * DAY_MS },
  { id: 'charge-old-failed', taskId: 'charge', status: 'failed', closedAgoMs: 30 * DAY_MS, message: 'card declined' },
  { id: 'parent-done', taskId: 'etl', status: 'completed', closedAgoMs: 30 * DAY_MS },
  { id: 'child-of-done', taskId: 'etl_chunk', status: 'completed', parent: 'parent-done', closedAgoMs: 30 * DAY_MS },
  { id: 'parent-waiting', taskId: 'etl', status: 'waiting_for_children' },
  { id: 'child-done-of-waiting', taskId: 'etl_chunk', status: 'completed', parent: 'parent-waiting', closedAgoMs: 30 * DAY_MS },
  { id: 'child-expired', taskId: 'etl_chunk', status: 'running', parent: 'parent-waiting', expiresAgoMs: 60_000 },
  { id: 'charge-recent', taskId: 'charge', status: 'timed_out', closedAgoMs: 3_600_000, message: 'took too long' },
  { id: 'email-ready-old', taskId: 'email', status: 'ready', startAgoMs: 120_000 },
  { id: 'email-ready-new', taskId: 'email', status: 'ready', startAgoMs: 1_000 },
  { id: 'parent-closed', taskId: 'etl', status: 'completed', closedAgoMs: 30 * DAY_MS },
  { id: 'child-not-closed', taskId: 'etl_chunk', status: 'completed', parent: 'parent-closed', closeStatus: 'ready' },
]

const FINISHED = new Set(['completed', 'failed', 'timed_out', 'cancelled', 'finalize_failed'])

function valueOf(shape: Shape, now: number): TaskExecutionStorageValue {
  const finished = FINISHED.has(shape.status)
  const closeStatus = shape.closeStatus ?? (shape.closedAgoMs === undefined ? 'idle' : 'closed')
  const closedAt = closeStatus === 'closed' ? now - shape.closedAgoMs! : undefined
  const value: TaskExecutionStorageValue = {
    taskId: shape.taskId,
    executionId: shape.id,
    isSleepingTask: false,
    retryOptions: { maxAttempts: 0 },
    sleepMsBeforeRun: 0,
    timeoutMs: 60_000,
    areChildrenSequential: false,
    input: '{"json":null}',
    status: shape.status,
    isFinished: finished,
    retryAttempts: 0,
    startAt: now - (shape.startAgoMs ?? 31 * DAY_MS),
    activeChildrenCount: 0,
    onChildrenFinishedProcessingStatus: 'idle',
    closeStatus,
    needsPromiseCancellation: false,
    createdAt: now - 31 * DAY_MS,
    updatedAt: closedAt ?? now,
  }
  if (shape.parent !== undefined) {
    value.root = { taskId: 'etl', executionId: shape.parent }
    value.parent = { taskId: 'etl', executionId: shape.parent, indexInParentChildren: 0, isOnlyChildOfParent: false, isFinalizeOfParent: false }
  }
  if (finished) value.finishedAt = (closedAt ?? now) - 1_000
  if (closedAt !== undefined) value.closedAt = closedAt
  if (shape.message !== undefined) value.error = { errorType: 'generic', message: shape.message, isRetryable: false, isInternal: false }
  if (shape.status === 'running') {
    value.executorId = 'executor-gone'
    value.startedAt = now - 120_000
    value.expiresAt = now - shape.expiresAgoMs!
  }
  return value
}

/** The seeded executions as storage values, relative to `now`. */
export function knownStateValues(now: number): Array<TaskExecutionStorageValue> {
  return SHAPES.map((shape) => valueOf(shape, now))
}

/**
 * Creates the tables (custom names, through the CLI's `migrate`) and writes the known state:
 * the executions of {@link SEEDED} and three workflows updated 30 days ago (completed, cancelled,
 * running; the first with a step and history).
 */
export async function seedKnownState(url: string, table: string, prefix: string): Promise<void> {
  const migrated = await runCli(['migrate', '--url', url, '--table', table, '--prefix', prefix])
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`)
  const now = Date.now()
  const database = await createDatabase({ url, tablePrefix: prefix, loadEnvFile: false, now: () => now - 30 * DAY_MS })
  try {
    const storage = await openTaskExecutionsStorage(database, { tableName: table })
    await storage.insertMany(knownStateValues(now))
    const done = await database.workflows.create({ name: 'nightly' })
    await database.workflowSteps.createStep({ workflowId: done.id, name: 'extract' })
    await database.workflowHistory.log({ workflowId: done.id, event: 'started' })
    await database.workflows.markRunning(done.id)
    await database.workflows.markCompleted(done.id)
    await database.workflows.cancel((await database.workflows.create({ name: 'abandoned' })).id)
    await database.workflows.markRunning((await database.workflows.create({ name: 'live' })).id)
  } finally {
    await database.close()
  }
}

/** Drops the test's tables (servers only; SQLite files are removed whole). */
export async function dropTables(database: JobDatabase, names: ReadonlyArray<string>): Promise<void> {
  for (const name of names) await database.session.executeStatement(sql`drop table if exists ${sql.identifier(name)}`)
}
