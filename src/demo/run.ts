/**
 * One run of the demo: open the database (the embedded SQLite file unless a URL names another),
 * create its tables, find the batch by name or create it, make sure a parent execution runs it,
 * show progress until the finalize step reports, and shut down cleanly, also when interrupted.
 * Running it again after Ctrl-C or `kill -9` resumes the same batch: the executor re-runs what
 * the killed process held once its short leases expire, and chunks already done change nothing.
 */
import { DurableExecutor, DurableExecutionError, DurableExecutionStorageError, type TaskRunContext } from '../core/index.js'
import { createDatabase, loadEnvFileOutsideProduction, openTaskExecutionsStorage, redactDatabaseUrl, type JobDatabase } from '../database/index.js'
import { recordedParentExecutionId } from './batch.js'
import { DemoDatabaseUnreachableError } from './errors.js'
import { DEFAULT_DEMO_SQLITE_URL, resolveDemoOptions, type DemoOptions } from './options.js'
import { createDemoProgress, rowsPerSecond, type DemoOutput, type DemoProgress } from './progress.js'
import { parentHandleFor, prepareBatch } from './resume.js'
import { registerDemoTasks, type DemoSummary } from './tasks.js'

/** Where a run writes. */
export type DemoIo = { readonly out: DemoOutput; readonly err: DemoOutput }

/** How a run ended. */
export type DemoRunResult =
  | { readonly status: 'completed'; readonly summary: DemoSummary; readonly resumed: boolean }
  | { readonly status: 'interrupted'; readonly batchName: string }

/** What a run takes beyond the options. */
export type DemoRunControls = {
  /** Aborting it stops the run gracefully (Ctrl-C). */
  readonly signal?: AbortSignal
  /** A test seam: after this many chunks of this run, every further chunk waits until shutdown. */
  readonly holdAfterChunks?: number
}

// Short leases: a killed process's chunks are run again about a second after their timeout.
const EXECUTOR_OPTIONS = { expireLeewayMs: 1_000, backgroundProcessIntraBatchSleepMs: 100, logLevel: 'error' } as const

/** The URL to open: the option, else `DATABASE_URL` (`.env` included), else the embedded file. */
function demoUrl(options: DemoOptions): string {
  if (options.url !== undefined) return options.url
  loadEnvFileOutsideProduction()
  return process.env.DATABASE_URL || DEFAULT_DEMO_SQLITE_URL
}

/** The database with the demo's job tables; an unreachable server is named as such, not as a failed statement. */
async function openDemoDatabase(url: string, tablePrefix: string): Promise<JobDatabase> {
  try {
    return await createDatabase({ url, tablePrefix, ensureTables: true })
  } catch (error) {
    if (!(error instanceof DurableExecutionStorageError) || error.kind !== 'connection_lost') throw error
    const cause: unknown = error.cause
    const reason = cause instanceof Error ? cause.message : error.message
    throw new DemoDatabaseUnreachableError(redactDatabaseUrl(url), reason, { cause })
  }
}

/** Waits until `signal` aborts, then throws: a held chunk ends when the executor shuts down. */
function holdUntil(signal: AbortSignal): Promise<void> {
  return new Promise((_resolve, reject) => {
    const stop = () => reject(DurableExecutionError.retryable('The demo stopped while holding this chunk (test hook)'))
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
  })
}

function summaryLines(summary: DemoSummary, progress: DemoProgress, resumed: boolean): string {
  const { rows, seconds } = progress.thisRun()
  return (
    `Batch "${summary.name}" (#${summary.batchId}) completed: ${summary.totalRows} rows, ${summary.processed} processed, ` +
    `${summary.errors} errors, ${summary.chunks} chunks.\n` +
    (rows === 0 && resumed
      ? 'Nothing was left to do: run with --fresh to process the batch again.\n'
      : `This run: ${rows} rows in ${seconds.toFixed(1)} s (${rowsPerSecond(rows, seconds)} rows/s)` +
        `${resumed ? `; ${summary.totalRows - rows} rows were done before it (resumed)` : ''}.\n`)
  )
}

/**
 * Runs the demo to the end of its batch, or until `controls.signal` aborts.
 * @throws DemoOptionError on a refused option; DemoDatabaseUnreachableError when the server does
 *   not answer; the other errors of `createDatabase`; a
 *   DurableExecutionError when the batch ends failed (running again retries its chunks).
 */
export async function runDemo(given: Partial<DemoOptions>, io: DemoIo, controls: DemoRunControls = {}): Promise<DemoRunResult> {
  const options = resolveDemoOptions(given)
  const url = demoUrl(options)
  const database = await openDemoDatabase(url, options.tablePrefix)
  let executor: DurableExecutor | undefined
  const progress = createDemoProgress(io.out)
  try {
    io.out.write(`Durable ETL demo on ${redactDatabaseUrl(url)} (${database.dialectName}).\n`)
    const storage = await openTaskExecutionsStorage(database, { tableName: `${options.tablePrefix}task_executions`, ensureTable: true })
    executor = await DurableExecutor.make(storage, {
      ...EXECUTOR_OPTIONS,
      maxConcurrentTaskExecutions: options.concurrency,
      maxTaskExecutionsPerBatch: options.concurrency,
      logger: { debug: () => undefined, info: () => undefined, error: (message) => void io.err.write(`executor: ${message}\n`) },
    })
    let chunksThisRun = 0
    let resumed = false
    let printed: DemoSummary | undefined
    // The finalize step prints the summary, once even if a racing finalize reports too.
    const printSummary = (summary: DemoSummary) => {
      if (printed !== undefined) return
      printed = summary
      progress.stop()
      io.out.write(summaryLines(summary, progress, resumed))
    }
    const tasks = registerDemoTasks(executor, database, {
      onChunkDone: (outcome) => {
        if (outcome.alreadyDone) return
        chunksThisRun++
        progress.chunkDone(outcome.processed + outcome.errors)
      },
      onFinalized: printSummary,
      beforeChunk:
        controls.holdAfterChunks === undefined
          ? undefined
          : async (ctx: TaskRunContext) => {
              if (chunksThisRun < controls.holdAfterChunks!) return
              io.out.write(`holding chunk (test hook) after ${chunksThisRun} chunks\n`)
              await holdUntil(AbortSignal.any([ctx.shutdownSignal, ctx.abortSignal]))
            },
    })
    const stopped = executor
    // The executor starts only once the batch is settled, so it picks up nothing --fresh deletes.
    const prepared = await prepareBatch(database, options, async (old) => {
      const executionId = await recordedParentExecutionId(database, old)
      if (executionId !== undefined) await (await stopped.getTaskExecutionHandle(tasks.batchTask, executionId)).cancel()
    }, io)
    const batch = prepared.batch
    resumed = prepared.resumed
    const chunkCounts = await database.batchChunks.countChunksByStatus(batch.id)
    const stored = (await database.batches.findById(batch.id)) ?? batch
    progress.start({
      totalChunks: Object.values(chunkCounts).reduce((sum, count) => sum + count, 0),
      doneChunks: chunkCounts.completed,
      totalRows: stored.totalRows,
      doneRows: stored.processedCount + stored.errorCount,
    })
    const handle = await parentHandleFor(executor, tasks, database, batch)
    await executor.start()
    let execution
    try {
      execution = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 100, signal: controls.signal })
    } catch (error) {
      if (controls.signal?.aborted !== true) throw error
      progress.stop()
      io.out.write(`Interrupted: stopping after the chunks in flight. Run the same command again to resume batch "${batch.name}".\n`)
      return { status: 'interrupted', batchName: batch.name }
    }
    progress.stop()
    if (execution.status !== 'completed') {
      throw new DurableExecutionError(`Batch "${batch.name}" (#${batch.id}) ended ${execution.status}: ${execution.error.message}`)
    }
    // A batch completed before this run had no finalize step here: its parent's output is the summary.
    printSummary(execution.output)
    return { status: 'completed', summary: printed ?? execution.output, resumed }
  } finally {
    progress.stop()
    await executor?.shutdown()
    await database.close()
  }
}
