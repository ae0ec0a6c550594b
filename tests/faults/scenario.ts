/**
 * One fault scenario from start to verdict: prepare a table, start the workers, run the schedule
 * (segments of one fault kind each, every segment enqueueing its share of the mixed workload),
 * wait until every row is finished (or the table stops making progress), stop the workers, and
 * run the checker on the rows, the histories and the fault log. Counts are reported per fault
 * kind: a task counts under the segment it was enqueued in.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkFaultRun, emptyCounts, type CheckCounts, type CheckResult, type FaultRecord } from './checker.js'
import type { ScenarioDatabase } from './databases.js'
import type { FaultProxyStats } from './proxy/proxy.js'
import type { FaultDurations, FaultKind, FaultTargets } from './faults.js'
import { readHistoryDirectory, wallClockMs } from './history.js'
import { runSchedule, segmentKindAt, type FaultSegment } from './schedule.js'
import { sleep } from './servers/private-server.js'
import { startWorkerPool, type UnexpectedExit } from './worker-pool.js'
import { expectedTasks, NO_RECORDER, planWorkload, registerFaultTasks, type WorkloadTiming } from './workload.js'

/** What a scenario runs. */
export type ScenarioOptions = {
  readonly database: ScenarioDatabase
  readonly tasks: number
  readonly workers: number
  readonly segments: ReadonlyArray<FaultSegment>
  readonly durations: FaultDurations
  readonly timing: WorkloadTiming
  readonly expireLeewayMs: number
  readonly maxConcurrentTaskExecutions?: number
  /** The scenario stops waiting when the table made no progress for this long (default 30 s). */
  readonly quietLimitMs?: number
  /** Seed of the choice of victims (default: from the clock; printed). */
  readonly seed?: number
  readonly log?: (line: string) => void
  /** Keep the histories and worker logs (default: only when `FAULTS_KEEP_RUNS` is set). */
  readonly keepRunDirectory?: boolean
}

/** The counts of one fault kind on one database. */
export type FaultKindSummary = {
  readonly backend: string
  readonly kind: FaultKind
  /** Faults of the kind injected (for lost COMMIT replies: replies dropped). */
  readonly faults: number
  readonly counts: CheckCounts
  /** Crash records and unexpected worker exits during the kind's segments. */
  readonly crashes: number
}

/** What a scenario found. */
export type ScenarioResult = {
  readonly backend: string
  readonly seed: number
  readonly kinds: ReadonlyArray<FaultKindSummary>
  readonly check: CheckResult
  readonly faults: ReadonlyArray<FaultRecord>
  readonly unexpectedExits: ReadonlyArray<UnexpectedExit>
  readonly tornLines: number
  /** The first problems found, one line each, for failure messages. */
  readonly problems: ReadonlyArray<string>
  readonly runDirectory: string
  /** From the first enqueue to the last row checked. */
  readonly durationMs: number
  /** What went through the fault proxy, when there was one. */
  readonly proxyStats?: Readonly<FaultProxyStats>
}

/** Numbers in [0, 1) drawn from a seed, so that a scenario's choice of victims can be replayed. */
function seededRandom(seed: number): () => number {
  let draws = 0
  return () => createHash('sha256').update(`${seed}:${draws++}`).digest().readUInt32BE(0) / 2 ** 32
}

/** Waits until every expected row exists and is finished, or the table makes no progress for `quietLimitMs`. */
async function waitUntilSettled(countRows: () => Promise<{ rows: number; unfinished: number }>, expectedRows: number, quietLimitMs: number): Promise<void> {
  let last = ''
  let lastChangeAt = wallClockMs()
  for (;;) {
    const { rows, unfinished } = await countRows()
    if (rows >= expectedRows && unfinished === 0) return
    const seen = `${rows}/${unfinished}`
    if (seen !== last) {
      last = seen
      lastChangeAt = wallClockMs()
    } else if (wallClockMs() - lastChangeAt > quietLimitMs) return
    await sleep(250)
  }
}

/** The first few examples of each kind of problem, so that a rare kind is not hidden by a common one. */
function describeProblems(check: CheckResult, unexpectedExits: ReadonlyArray<UnexpectedExit>, perKind = 4): Array<string> {
  const kinds = new Map<string, Array<string>>()
  const add = (kind: string, line: string) => {
    const lines = kinds.get(kind) ?? []
    kinds.set(kind, [...lines, line])
  }
  for (const crash of check.crashes) add('crash', `crash of worker ${crash.pid} (${crash.origin}): ${crash.message}`)
  for (const exit of unexpectedExits) add('exit', `worker ${exit.pid} exited on its own (code ${exit.code}, signal ${exit.signal})`)
  for (const verdict of check.verdicts) for (const found of verdict.problems) add(found.problem, `${verdict.key} [${verdict.group}] ${found.problem}: ${found.detail}`)
  return [...kinds.values()].flatMap((lines) => [...lines.slice(0, perKind), ...(lines.length > perKind ? [`… and ${lines.length - perKind} more like it`] : [])])
}

/** Runs one scenario; see the module comment. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const startedAt = wallClockMs()
  const seed = options.seed ?? Date.now() % 1_000_000
  const log = options.log ?? (() => undefined)
  const runDirectory = mkdtempSync(join(tmpdir(), 'de-faults-run-'))
  const historyDirectory = join(runDirectory, 'history')
  mkdirSync(historyDirectory)
  mkdirSync(join(runDirectory, 'logs'))
  const tableName = `faults_${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const table = await options.database.prepare(tableName)
  const pool = startWorkerPool(
    options.workers,
    (slot) => ({
      dialect: options.database.dialect,
      target: options.database.workerTarget,
      tableName,
      historyDirectory,
      enableStorageBatching: slot % 2 === 0,
      expireLeewayMs: options.expireLeewayMs,
      backgroundProcessIntraBatchSleepMs: 50,
      maxConcurrentTaskExecutions: options.maxConcurrentTaskExecutions ?? 1_000,
      timing: options.timing,
    }),
    join(runDirectory, 'logs'),
  )
  let stopped = false
  try {
    await pool.allReady()
    const tasks = registerFaultTasks(table.executor, NO_RECORDER, options.timing)
    const plan = planWorkload(options.tasks, options.segments.map((segment) => ({ group: segment.kind, durationMs: segment.durationMs })))
    log(`[faults] ${options.database.name}: ${plan.length} tasks on ${options.workers} workers, seed ${seed}, run folder ${runDirectory}`)
    const faults: Array<FaultRecord> = []
    const targets: FaultTargets = { pool, database: options.database.faults, durations: options.durations, random: seededRandom(seed) }
    const windows = await runSchedule(options.segments, plan, table, tasks, targets, faults)
    const expected = expectedTasks(plan)
    await waitUntilSettled(() => table.countRows(), expected.length, options.quietLimitMs ?? 30_000)
    await pool.stop()
    stopped = true
    const proxyStats = options.database.faults.proxy?.stats
    if (proxyStats) log(`[faults] ${options.database.name} proxy: ${JSON.stringify(proxyStats)}`)

    const rows = await table.readRows()
    const history = readHistoryDirectory(historyDirectory)
    if (history.tornLines > 0) log(`[faults] ${options.database.name}: ${history.tornLines} history files end in a line torn by a kill`)
    const exitFaults = pool.unexpectedExits.map((exit) => ({ kind: 'exit', from: exit.at, to: exit.at, pid: exit.pid }))
    const allFaults = [...faults, ...exitFaults]
    // Kept beside the histories, so that a failing run can be checked again offline.
    writeFileSync(join(runDirectory, 'check-input.json'), JSON.stringify({ tasks: expected, rows, faults: allFaults, leaseMs: options.timing.timeoutMs + options.expireLeewayMs }))
    const check = checkFaultRun({ tasks: expected, rows, history: history.records, faults: allFaults, leaseMs: options.timing.timeoutMs + options.expireLeewayMs })
    const crashTimes = [...check.crashes.map((crash) => crash.at), ...pool.unexpectedExits.filter((exit) => !check.crashes.some((crash) => crash.pid === exit.pid)).map((exit) => exit.at)]
    const kinds = [...new Set(options.segments.map((segment) => segment.kind))].map((kind) => ({
      backend: options.database.name,
      kind,
      faults: faults.filter((fault) => fault.kind === kind).length,
      counts: check.byGroup.get(kind) ?? emptyCounts(),
      crashes: crashTimes.filter((at) => segmentKindAt(windows, at) === kind).length,
    }))
    return {
      backend: options.database.name,
      seed,
      kinds,
      check,
      faults,
      unexpectedExits: pool.unexpectedExits,
      tornLines: history.tornLines,
      problems: describeProblems(check, pool.unexpectedExits),
      runDirectory,
      durationMs: wallClockMs() - startedAt,
      ...(proxyStats ? { proxyStats: { ...proxyStats } } : {}),
    }
  } finally {
    if (!stopped) await pool.stop()
    await table.close().catch(() => undefined)
    if (!(options.keepRunDirectory ?? process.env.FAULTS_KEEP_RUNS)) rmSync(runDirectory, { recursive: true, force: true })
  }
}
