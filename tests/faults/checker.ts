/**
 * The checker of the fault suite, a pure function: from the tasks enqueued, the rows the database
 * ended with, every worker's run history and the log of injected faults, it classifies each task
 * as finished once or names what went wrong (lost, stuck, wrong output, stale write, succeeded run
 * recorded as failed, duplicated beyond what the faults explain), and totals the counts per group.
 * It knows the contract's status names and nothing else of the library.
 */
import type { FinishRecord, HistoryRecord, StartRecord } from './history.js'

/** A task the scenario enqueued (or a child its parent spawns), with the group it is counted in. */
export type ExpectedTask = {
  readonly key: string
  readonly group: string
  /** Children spawned by this task's parent run, in order; their run ids appear in its output. */
  readonly childKeys?: ReadonlyArray<string>
  /** Set on a child: it is expected to exist once its parent's run was recorded. */
  readonly parentKey?: string
}

/** A row the table ended with, reduced to what the checker reads. */
export type FinalRow = {
  readonly key: string
  readonly status: string
  /** The deserialized output of a completed row. */
  readonly output?: unknown
  readonly errorMessage?: string
}

/**
 * An injected fault: the time window it acted in and the process it hit (none: a database fault,
 * which hits every process).
 */
export type FaultRecord = { readonly kind: string; readonly from: number; readonly to: number; readonly pid?: number }

/** What can be wrong with a task. */
export type TaskProblem =
  | 'lost'
  | 'stuck'
  | 'wrong-output'
  | 'stale-write'
  | 'succeeded-recorded-failed'
  | 'duplicated-beyond-faults'

/** The checker's finding on one task. */
export type TaskVerdict = {
  readonly key: string
  readonly group: string
  readonly problems: ReadonlyArray<{ problem: TaskProblem; detail: string }>
  /** Runs started for the task. */
  readonly runs: number
  /** Runs beyond one per attempt the task asked for (starts - 1 - designed retries). */
  readonly duplicateRuns: number
  /** The task's runs whose run function was executing on a process when a fault hit it. */
  readonly runningAtFaults: number
  /**
   * The task's runs in flight on a process when a fault hit it: executing, or returned with the
   * outcome possibly not yet written (less than a lease after the start). Bounds the duplicates.
   */
  readonly inFlightAtFaults: number
}

/** Totals of one group (or of all tasks). */
export type CheckCounts = {
  tasks: number
  finishedOnce: number
  lost: number
  stuck: number
  wrongOutput: number
  staleWrites: number
  succeededRecordedFailed: number
  duplicatedBeyondFaults: number
  runs: number
  duplicateRuns: number
  runningAtFaults: number
  inFlightAtFaults: number
}

/** Everything the checker reads. */
export type CheckInput = {
  readonly tasks: ReadonlyArray<ExpectedTask>
  readonly rows: ReadonlyArray<FinalRow>
  readonly history: ReadonlyArray<HistoryRecord>
  readonly faults: ReadonlyArray<FaultRecord>
  /**
   * How long a run may hold its task: the task's timeout plus the executor's `expireLeewayMs`
   * (default 1 000 ms). The executor writes a run's outcome after the run function returns, and
   * may retry that write until the lease ends; the worker cannot see it land. So a run counts as
   * in flight from its start until its function returned and a lease had passed since the start.
   */
  readonly leaseMs?: number
}

/** The checker's answer. */
export type CheckResult = {
  readonly verdicts: ReadonlyArray<TaskVerdict>
  readonly total: CheckCounts
  readonly byGroup: ReadonlyMap<string, CheckCounts>
  /** Crash records: a worker about to exit on an uncaught exception or unhandled rejection. */
  readonly crashes: ReadonlyArray<{ pid: number; at: number; origin: string; message: string }>
}

const FINISHED = new Set(['completed', 'failed', 'timed_out', 'finalize_failed', 'cancelled'])
const PAST_PARENT_RUN = new Set(['waiting_for_children', 'waiting_for_finalize', 'completed'])

const PROBLEM_COUNT_KEYS: Record<TaskProblem, keyof CheckCounts> = {
  lost: 'lost',
  stuck: 'stuck',
  'wrong-output': 'wrongOutput',
  'stale-write': 'staleWrites',
  'succeeded-recorded-failed': 'succeededRecordedFailed',
  'duplicated-beyond-faults': 'duplicatedBeyondFaults',
}

type Run = { start: StartRecord; finish: FinishRecord | undefined }

/** Zero counts, the starting point of every group. */
export function emptyCounts(): CheckCounts {
  return {
    tasks: 0,
    finishedOnce: 0,
    lost: 0,
    stuck: 0,
    wrongOutput: 0,
    staleWrites: 0,
    succeededRecordedFailed: 0,
    duplicatedBeyondFaults: 0,
    runs: 0,
    duplicateRuns: 0,
    runningAtFaults: 0,
    inFlightAtFaults: 0,
  }
}

function groupBy<T>(items: ReadonlyArray<T>, keyOf: (item: T) => string): Map<string, Array<T>> {
  const groups = new Map<string, Array<T>>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group) group.push(item)
    else groups.set(key, [item])
  }
  return groups
}

function runsByKey(history: ReadonlyArray<HistoryRecord>): Map<string, Array<Run>> {
  const finishes = new Map<string, FinishRecord>()
  for (const record of history) if (record.type === 'finish') finishes.set(record.runId, record)
  const starts = history.filter((record): record is StartRecord => record.type === 'start')
  const runs = groupBy(
    starts.map((start) => ({ start, finish: finishes.get(start.runId) })),
    (run) => run.start.key,
  )
  for (const list of runs.values()) list.sort((a, b) => a.start.at - b.start.at)
  return runs
}

/** A crash ends the runs in flight on its process as a SIGKILL would; it explains their re-runs. */
function faultsWithCrashes(input: CheckInput): Array<FaultRecord> {
  const crashes = input.history.flatMap((record) =>
    record.type === 'crash' ? [{ kind: 'crash', from: record.at, to: record.at, pid: record.pid }] : [],
  )
  return [...input.faults, ...crashes]
}

/** Whether a fault hit the run's process after the run started and before `settledAt`. */
function wasHitBefore(run: Run, settledAt: number, faults: ReadonlyArray<FaultRecord>): boolean {
  return faults.some((fault) => (fault.pid === undefined || fault.pid === run.start.pid) && run.start.at <= fault.to && settledAt >= fault.from)
}

/** Whether a fault hit the run's process while its run function executed. */
function wasRunningAtFault(run: Run, faults: ReadonlyArray<FaultRecord>): boolean {
  return wasHitBefore(run, run.finish?.at ?? Number.POSITIVE_INFINITY, faults)
}

/** Whether a fault hit the run's process before its outcome was surely written or fenced. */
function wasInFlightAtFault(run: Run, faults: ReadonlyArray<FaultRecord>, leaseMs: number): boolean {
  return wasHitBefore(run, Math.max(run.finish?.at ?? Number.POSITIVE_INFINITY, run.start.at + leaseMs), faults)
}

/** Starts beyond the first, less one per attempt that threw on purpose (each asks for one retry). */
function countDuplicateRuns(runs: ReadonlyArray<Run>): number {
  const designedAttempts = new Set(runs.filter((run) => run.finish?.designed === true).map((run) => run.start.attempt))
  return Math.max(0, runs.length - 1 - designedAttempts.size)
}

type OutputShape = { key: string; runId: string; children?: ReadonlyArray<string> }

function readOutput(output: unknown): OutputShape | undefined {
  if (typeof output !== 'object' || output === null) return undefined
  const { key, runId, children } = output as Record<string, unknown>
  if (typeof key !== 'string' || typeof runId !== 'string') return undefined
  if (children !== undefined && !(Array.isArray(children) && children.every((child) => typeof child === 'string'))) return undefined
  return { key, runId, children: children as ReadonlyArray<string> | undefined }
}

function checkCompletedOutput(
  task: ExpectedTask,
  row: FinalRow,
  runs: ReadonlyArray<Run>,
  rowsByKey: ReadonlyMap<string, ReadonlyArray<FinalRow>>,
  report: (problem: TaskProblem, detail: string) => void,
): void {
  const output = readOutput(row.output)
  if (!output) return report('wrong-output', `output is not { key, runId }: ${JSON.stringify(row.output)}`)
  if (output.key !== task.key) return report('wrong-output', `output names task ${output.key}`)
  const producer = runs.find((run) => run.start.runId === output.runId)
  if (!producer) return report('wrong-output', `output names run ${output.runId}, which never started for this task`)
  if (task.childKeys) {
    const childRunIds = task.childKeys.map((childKey) => readOutput(rowsByKey.get(childKey)?.[0]?.output)?.runId ?? '<none>')
    if (JSON.stringify(output.children ?? []) !== JSON.stringify(childRunIds)) {
      report('wrong-output', `output lists children runs ${JSON.stringify(output.children)}, the children rows hold ${JSON.stringify(childRunIds)}`)
    }
  }
  const last = runs[runs.length - 1]!
  if (last !== producer) {
    const producerEnd = producer.finish?.at ?? Number.POSITIVE_INFINITY
    report(
      'stale-write',
      last.start.at < producerEnd
        ? `output of run ${output.runId}, although run ${last.start.runId} took the task over before it ended`
        : `output of run ${output.runId}, and run ${last.start.runId} started after it ended: the latest holder's write did not land, or it ran without a valid lease`,
    )
  }
}

function checkTask(
  task: ExpectedTask,
  rowsByKey: ReadonlyMap<string, ReadonlyArray<FinalRow>>,
  runs: ReadonlyArray<Run>,
  faults: ReadonlyArray<FaultRecord>,
  leaseMs: number,
): TaskVerdict | undefined {
  const problems: Array<{ problem: TaskProblem; detail: string }> = []
  const report = (problem: TaskProblem, detail: string) => void problems.push({ problem, detail })
  const rows = rowsByKey.get(task.key) ?? []
  const row = rows[0]
  if (!row && task.parentKey !== undefined) {
    const parentStatus = rowsByKey.get(task.parentKey)?.[0]?.status
    // A parent that never recorded its run spawned no children: the parent carries the problem.
    if (parentStatus === undefined || !PAST_PARENT_RUN.has(parentStatus)) return undefined
  }
  if (!row) report('lost', 'no row')
  else if (rows.length > 1) report('wrong-output', `${rows.length} rows hold this task`)
  else if (!FINISHED.has(row.status)) report('stuck', `status ${row.status}`)
  else if (row.status === 'completed') checkCompletedOutput(task, row, runs, rowsByKey, report)
  else if (runs[runs.length - 1]?.finish?.outcome === 'returned') {
    report('succeeded-recorded-failed', `run ${runs[runs.length - 1]!.start.runId} returned, the row ended ${row.status}: ${row.errorMessage ?? ''}`)
  } else report('wrong-output', `ended ${row.status}: ${row.errorMessage ?? ''}`)

  const duplicateRuns = countDuplicateRuns(runs)
  const inFlightAtFaults = runs.filter((run) => wasInFlightAtFault(run, faults, leaseMs)).length
  if (duplicateRuns > inFlightAtFaults) {
    report('duplicated-beyond-faults', `${duplicateRuns} duplicate runs, ${inFlightAtFaults} in flight at faults: ${runs.map((run) => run.start.runId).join(', ')}`)
  }
  const runningAtFaults = runs.filter((run) => wasRunningAtFault(run, faults)).length
  return { key: task.key, group: task.group, problems, runs: runs.length, duplicateRuns, runningAtFaults, inFlightAtFaults }
}

function addVerdict(counts: CheckCounts, verdict: TaskVerdict): void {
  counts.tasks++
  counts.runs += verdict.runs
  counts.duplicateRuns += verdict.duplicateRuns
  counts.runningAtFaults += verdict.runningAtFaults
  counts.inFlightAtFaults += verdict.inFlightAtFaults
  if (verdict.problems.length === 0) counts.finishedOnce++
  for (const problem of new Set(verdict.problems.map((found) => found.problem))) counts[PROBLEM_COUNT_KEYS[problem]]++
}

/** Classifies every task; see the module comment. */
export function checkFaultRun(input: CheckInput): CheckResult {
  const rowsByKey = groupBy(input.rows, (row) => row.key)
  const runs = runsByKey(input.history)
  const faults = faultsWithCrashes(input)
  const verdicts = input.tasks.flatMap((task) => checkTask(task, rowsByKey, runs.get(task.key) ?? [], faults, input.leaseMs ?? 1_000) ?? [])
  const total = emptyCounts()
  const byGroup = new Map<string, CheckCounts>()
  for (const verdict of verdicts) {
    addVerdict(total, verdict)
    let counts = byGroup.get(verdict.group)
    if (!counts) byGroup.set(verdict.group, (counts = emptyCounts()))
    addVerdict(counts, verdict)
  }
  const crashes = input.history.flatMap((record) => (record.type === 'crash' ? [{ pid: record.pid, at: record.at, origin: record.origin, message: record.message }] : []))
  return { verdicts, total, byGroup, crashes }
}
