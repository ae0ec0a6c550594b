/**
 * `purge`: retention. Deletes finished-and-closed task executions and finished job-runner
 * workflows and batches older than `--older-than`, in bounded batches, keeping every row an
 * unfinished parent or child still needs; `--dry-run` only counts.
 */
import type { Command } from 'commander'
import { jobTablesExist, purgeJobHistory, type PurgeJobHistoryResult } from '../../jobs/maintenance.js'
import { parseDuration, parsePositiveInteger } from '../duration.js'
import { addDatabaseOptions, openFromOptions, type DatabaseCommandOptions } from '../options.js'
import { isoTime, printJson, printLines } from '../output.js'

type PurgeOptions = DatabaseCommandOptions & { readonly olderThan: string; readonly batchSize: string; readonly dryRun?: boolean }

/** Registers `purge`. */
export function registerPurgeCommand(program: Command): void {
  const command = program
    .command('purge')
    .summary('delete finished rows older than an age')
    .description(
      'Delete finished-and-closed task executions closed longer ago than --older-than (never one whose parent or child is unfinished), ' +
        'and completed or cancelled job-runner workflows and batches last updated before it, with their steps, history, timers, attempts, chunks and rows.',
    )
    .requiredOption('--older-than <age>', 'minimum age of what is deleted: a whole number with a unit (ms, s, m, h, d, w), e.g. 7d')
    .option('--batch-size <n>', 'most rows one DELETE removes', '500')
    .option('--dry-run', 'count what would be deleted, delete nothing')
  addDatabaseOptions(command).action(async (options: PurgeOptions) => {
    const olderThanMs = parseDuration(options.olderThan, '--older-than')
    const batchSize = parsePositiveInteger(options.batchSize, '--batch-size')
    const dryRun = options.dryRun === true
    const opened = await openFromOptions(options)
    try {
      const executions = await opened.storage.purge({ olderThanMs, batchSize, dryRun })
      const jobs: PurgeJobHistoryResult | null = (await jobTablesExist(opened.database))
        ? await purgeJobHistory(opened.database, { olderThanMs, batchSize, dryRun })
        : null
      if (options.json === true) return printJson({ dryRun, taskExecutions: executions, jobs })
      const verb = dryRun ? 'would delete' : 'deleted'
      printLines([
        `task executions closed before ${isoTime(executions.closedBefore)}: ${verb} ${executions.executions}`,
        jobs === null
          ? 'job-runner tables: none (nothing to purge)'
          : `job-runner: ${verb} ${jobs.workflows} workflows and ${jobs.batches} batches (with their child rows)`,
      ])
    } finally {
      await opened.close()
    }
  })
}
