/**
 * The schedule of a fault scenario: segments run one after another, each one enqueueing its share
 * of the workload when it begins (ready times spread over the segment) and injecting its faults
 * over the segment's middle. A segment starts only when the one before it is done, so a slow fault
 * (a worker that takes long to come back) delays the schedule instead of missing its tasks.
 */
import type { TaskExecutionStorageValue } from '../../src/core/index.js'
import type { FaultRecord } from './checker.js'
import type { ScenarioTable } from './databases.js'
import { injectFault, type FaultKind, type FaultTargets } from './faults.js'
import { wallClockMs } from './history.js'
import { sleep } from './servers/private-server.js'
import type { FaultTasks, PlannedTask } from './workload.js'

/** A stretch of the schedule: its fault kind, how long it lasts, how many faults (or what rate of lost COMMIT replies). */
export type FaultSegment = { kind: FaultKind; durationMs: number; count?: number; rate?: number }

/** When a segment began and ended on the history clock. */
export type SegmentWindow = { kind: FaultKind; from: number; to: number }

async function sleepUntil(at: number): Promise<void> {
  const wait = at - wallClockMs()
  if (wait > 0) await sleep(wait)
}

/**
 * Inserts enqueued rows many per statement. An insert interrupted by a fault may have landed or
 * not: before retrying, the rows already there are left out (execution ids are known).
 */
async function insertRows(table: ScenarioTable, rows: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
  const deadline = Date.now() + 60_000
  for (let index = 0; index < rows.length; index += 500) {
    let chunk = rows.slice(index, index + 500)
    for (;;) {
      try {
        await table.storage.insertMany(chunk)
        break
      } catch (error) {
        if (Date.now() > deadline) throw error
        await sleep(200)
        const existing = await Promise.resolve(table.storage.getManyById(chunk.map((row) => ({ executionId: row.executionId })))).catch(() => undefined)
        if (existing) chunk = chunk.filter((_, at) => existing[at] === undefined)
        if (chunk.length === 0) break
      }
    }
  }
}

/** Enqueues `tasks` to become ready `readyAtMs` after `startsAt`, through the never-started executor. */
async function enqueueSegment(table: ScenarioTable, tasks: FaultTasks, planned: ReadonlyArray<PlannedTask>, startsAt: number): Promise<void> {
  // The executor builds the rows into a collector; inserting one row per statement would take
  // longer than a short segment.
  const rows: Array<TaskExecutionStorageValue> = []
  const collector = { insertMany: (values: ReadonlyArray<TaskExecutionStorageValue>) => void rows.push(...values) }
  for (const task of planned) {
    const sleepMsBeforeRun = Math.max(0, Math.round(startsAt + task.readyAtMs - wallClockMs()))
    await table.executor.enqueueTask(tasks[task.kind], { key: task.key }, { sleepMsBeforeRun, taskExecutionsStorageTransaction: collector })
  }
  await insertRows(table, rows)
}

/** How long past its window a segment waits for the COMMITs armed to lose their replies. */
const ARMED_LOSS_GRACE_MS = 20_000

/** Injects one segment's faults, spread over the middle 60 % of the segment. */
async function injectSegmentFaults(segment: FaultSegment, startsAt: number, targets: FaultTargets, injected: Map<FaultKind, number>, faults: Array<FaultRecord>): Promise<void> {
  const window = { from: startsAt + segment.durationMs * 0.2, to: startsAt + segment.durationMs * 0.8 }
  if (segment.kind === 'none') return
  if (segment.kind === 'lost-commit-reply') {
    const proxy = targets.database.proxy
    if (!proxy) throw new Error('Lost COMMIT replies need the fault proxy in front of the database')
    await sleepUntil(window.from)
    const from = wallClockMs()
    if (segment.count) proxy.loseNextCommitReply(segment.count)
    if (segment.rate) proxy.setLostCommitReplyRate(segment.rate)
    await sleepUntil(window.to)
    // COMMITs come in bursts (PostgreSQL autocommits most statements): armed losses may wait for
    // the next transaction a little past the window, so that every armed fault is injected.
    const armedUntil = wallClockMs() + ARMED_LOSS_GRACE_MS
    while (proxy.armedCommitReplyLosses() > 0 && wallClockMs() < armedUntil) await sleep(50)
    proxy.stopLosingCommitReplies()
    for (const at of proxy.lostCommitReplyTimes) if (at >= from) faults.push({ kind: segment.kind, from: at, to: at })
    return
  }
  const count = segment.count ?? 1
  for (let index = 0; index < count; index++) {
    await sleepUntil(window.from + ((window.to - window.from) * index) / count)
    const ofKind = injected.get(segment.kind) ?? 0
    injected.set(segment.kind, ofKind + 1)
    faults.push(await injectFault(segment.kind, ofKind, targets))
  }
}

/** Runs every segment in turn; returns when each one began and ended. */
export async function runSchedule(
  segments: ReadonlyArray<FaultSegment>,
  plan: ReadonlyArray<PlannedTask>,
  table: ScenarioTable,
  tasks: FaultTasks,
  targets: FaultTargets,
  faults: Array<FaultRecord>,
): Promise<Array<SegmentWindow>> {
  const windows: Array<SegmentWindow> = []
  const injected = new Map<FaultKind, number>()
  for (const [index, segment] of segments.entries()) {
    const planned = plan.filter((task) => task.segment === index)
    const from = wallClockMs()
    // Enough lead to build and insert the segment's rows before the first becomes ready.
    const startsAt = from + 200 + planned.length * 0.5
    await enqueueSegment(table, tasks, planned, startsAt)
    await injectSegmentFaults(segment, startsAt, targets, injected, faults)
    await sleepUntil(startsAt + segment.durationMs)
    windows.push({ kind: segment.kind, from, to: wallClockMs() })
  }
  return windows
}

/** The kind of the segment running at `at` (the last one for later times). */
export function segmentKindAt(windows: ReadonlyArray<SegmentWindow>, at: number): FaultKind {
  return (windows.find((window) => at < window.to) ?? windows[windows.length - 1]!).kind
}
