/**
 * `inspect`: what is queued, running and failing. Task executions by status and task id, the
 * oldest ready one, expired leases, recent failures with their messages, and job-runner workflows
 * by status. Read-only.
 */
import type { Command } from 'commander'
import type { TaskExecutionsOverview, TaskExecutionOverviewEntry } from '../../common/overview.js'
import { countWorkflowsByStatus, jobTablesExist } from '../../jobs/maintenance.js'
import { parsePositiveInteger } from '../duration.js'
import { addDatabaseOptions, openFromOptions, type DatabaseCommandOptions } from '../options.js'
import { isoTime, printJson, printLines, table } from '../output.js'

type InspectOptions = DatabaseCommandOptions & { readonly limit: string }

/** What `inspect --json` prints. */
type InspectResult = {
  readonly taskExecutions: TaskExecutionsOverview
  /** `null` when the job tables do not exist. */
  readonly workflows: ReadonlyArray<{ status: string; count: number }> | null
}

const describe = (execution: TaskExecutionOverviewEntry) => `${execution.executionId} (task ${execution.taskId})`

/** The overview as plain-text lines. */
function textOf({ taskExecutions: t, workflows }: InspectResult): Array<string> {
  const lines = [`Task executions in ${t.tableName} (database time ${isoTime(t.now)})`]
  lines.push(
    ...(t.byStatusAndTaskId.length === 0
      ? ['  none']
      : table(['status', 'task id', 'count'], t.byStatusAndTaskId.map((row) => [row.status, row.taskId, String(row.count)]))),
  )
  const ready = t.oldestReady
  lines.push(
    ready === null
      ? 'Oldest ready: none'
      : `Oldest ready: ${describe(ready)}, start at ${isoTime(ready.startAt)}, waiting ${Math.max(0, Math.round((t.now - (ready.startAt ?? t.now)) / 1000))}s`,
  )
  lines.push(`Expired leases: ${t.expiredLeases.count}`)
  for (const row of t.expiredLeases.oldest) lines.push(`  ${describe(row)} on executor ${row.executorId ?? '-'}, expired at ${isoTime(row.expiresAt)}`)
  lines.push(`Recent failures: ${t.recentFailures.length === 0 ? 'none' : ''}`.trimEnd())
  for (const row of t.recentFailures) lines.push(`  ${isoTime(row.finishedAt)} ${row.status} ${describe(row)}: ${row.errorMessage ?? '-'}`)
  if (workflows === null) {
    lines.push('Workflows: no job-runner tables (run migrate to create them)')
  } else {
    lines.push('Workflows by status:')
    lines.push(...(workflows.length === 0 ? ['  none'] : table(['status', 'count'], workflows.map((row) => [row.status, String(row.count)]))))
  }
  return lines
}

/** Registers `inspect`. */
export function registerInspectCommand(program: Command): void {
  const command = program
    .command('inspect')
    .summary('show what is queued, running and failing')
    .description('Show task executions by status and task id, the oldest ready one, expired leases, recent failures and job-runner workflows by status (read-only).')
    .option('--limit <n>', 'most expired leases and failures listed', '10')
  addDatabaseOptions(command).action(async (options: InspectOptions) => {
    const limit = parsePositiveInteger(options.limit, '--limit')
    const opened = await openFromOptions(options)
    try {
      const taskExecutions = await opened.storage.inspect({ limit })
      const workflows = (await jobTablesExist(opened.database)) ? await countWorkflowsByStatus(opened.database) : null
      const result: InspectResult = { taskExecutions, workflows }
      if (options.json === true) printJson(result)
      else printLines(textOf(result))
    } finally {
      await opened.close()
    }
  })
}
