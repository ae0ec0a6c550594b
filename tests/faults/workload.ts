/**
 * The mixed workload of the fault suite: which tasks exist (plain, slow, failing on their first
 * attempt, parents with children and a finalize function), the plan of what the scenario enqueues
 * and when each task becomes ready, and the tasks the checker expects. Every run records its start
 * and finish, and every output names the run that produced it.
 */
import { childTask, DurableExecutionError, type DurableExecutor, type Task } from '../../src/core/index.js'
import type { ExpectedTask } from './checker.js'
import type { RunOutcome } from './history.js'

/** What the run functions record; the scenario's own executor, which never runs, records nothing. */
export type RunRecorder = {
  start(key: string, attempt: number): string
  finish(runId: string, key: string, outcome: RunOutcome, designed: boolean): void
}

/** A recorder for an executor that never runs tasks. */
export const NO_RECORDER: RunRecorder = { start: () => 'none', finish: () => undefined }

/** The kinds of task in the mix. */
export type TaskKind = 'plain' | 'slow' | 'flaky' | 'parent'

/** The children each parent spawns. */
export const CHILDREN_PER_PARENT = 3

/** Input of every task: its key, unique in a scenario. */
export type TaskInput = { key: string }

/** Output of every task: its key and the run that produced it (and, for a parent, its children's runs). */
export type TaskOutput = { key: string; runId: string; children?: Array<string> }

/** The registered tasks, by kind (the child task is enqueued only by parents). */
export type FaultTasks = Record<TaskKind, Task<TaskInput, TaskOutput>>

/** Timing of the runs. */
export type WorkloadTiming = {
  /** `timeoutMs` of every task. */
  timeoutMs: number
  /** Longest random delay of a plain task's run; slow tasks take up to four times as long. */
  maxRunMs: number
}

/** Resolves after `ms`, or with `false` as soon as `signal` aborts. */
function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Registers the workload's tasks on `executor`, recording every run through `recorder`. */
export function registerFaultTasks(executor: DurableExecutor, recorder: RunRecorder, timing: WorkloadTiming): FaultTasks {
  const { timeoutMs, maxRunMs } = timing
  /** Records the start, waits, and records how the run ended; `throwOnFirstAttempt` plants a retryable failure. */
  const work = async (key: string, attempt: number, signal: AbortSignal, runMs: number, throwOnFirstAttempt = false): Promise<string> => {
    const runId = recorder.start(key, attempt)
    if (!(await sleepUnlessAborted(Math.random() * runMs, signal))) {
      recorder.finish(runId, key, 'aborted', false)
      throw DurableExecutionError.retryable(`Run ${runId} of ${key} aborted`)
    }
    if (throwOnFirstAttempt && attempt === 0) {
      recorder.finish(runId, key, 'threw', true)
      throw DurableExecutionError.retryable(`Planted failure of the first attempt of ${key} (run ${runId})`)
    }
    recorder.finish(runId, key, 'returned', false)
    return runId
  }
  const simple = (id: string, runMs: number, throwOnFirstAttempt = false) =>
    executor.task<TaskInput, TaskOutput>({
      id,
      timeoutMs,
      ...(throwOnFirstAttempt ? { retryOptions: { maxAttempts: 2 } } : {}),
      run: async (ctx, input) => ({ key: input.key, runId: await work(input.key, ctx.attempt, ctx.abortSignal, runMs, throwOnFirstAttempt) }),
    })
  const child = simple('fault_child', maxRunMs)
  const parent = executor.parentTask<TaskInput, TaskOutput, TaskOutput>({
    id: 'fault_parent',
    timeoutMs,
    runParent: async (ctx, input) => {
      const runId = await work(input.key, ctx.attempt, ctx.abortSignal, maxRunMs)
      return {
        output: { key: input.key, runId },
        children: Array.from({ length: CHILDREN_PER_PARENT }, (_, index) => childTask(child, { key: childKey(input.key, index) })),
      }
    },
    finalize: ({ output, children }) => ({
      key: output.key,
      runId: output.runId,
      children: children.map((finished) => (finished.status === 'completed' ? (finished.output as TaskOutput).runId : `<${finished.status}>`)),
    }),
  })
  return {
    plain: simple('fault_plain', maxRunMs),
    slow: simple('fault_slow', maxRunMs * 4),
    flaky: simple('fault_flaky', maxRunMs, true),
    parent,
  }
}

/** The key of a parent's `index`-th child. */
export function childKey(parentKey: string, index: number): string {
  return `${parentKey}.c${index}`
}

/**
 * One task the scenario enqueues: the schedule segment it belongs to (and is counted under), and
 * when it becomes ready, in ms after its segment starts.
 */
export type PlannedTask = { key: string; kind: TaskKind; segment: number; group: string; readyAtMs: number }

/** A stretch of the schedule whose tasks are counted together (the fault injected in it). */
export type ScheduleSegment = { group: string; durationMs: number }

const KIND_CYCLE: ReadonlyArray<TaskKind> = ['parent', 'plain', 'flaky', 'plain', 'slow', 'plain', 'plain', 'slow', 'plain', 'plain']

/** `count` tasks of a fixed mix, shared among the segments by duration, ready times spread evenly in each. */
export function planWorkload(count: number, segments: ReadonlyArray<ScheduleSegment>): Array<PlannedTask> {
  const totalMs = segments.reduce((sum, segment) => sum + segment.durationMs, 0)
  let segmentStartMs = 0
  let segment = 0
  return Array.from({ length: count }, (_, index) => {
    const atMs = (index / count) * totalMs
    while (segment < segments.length - 1 && atMs >= segmentStartMs + segments[segment]!.durationMs) segmentStartMs += segments[segment++]!.durationMs
    return { key: `t${index}`, kind: KIND_CYCLE[index % KIND_CYCLE.length]!, segment, group: segments[segment]!.group, readyAtMs: atMs - segmentStartMs }
  })
}

/** The tasks the checker expects: every planned task and every child of a planned parent. */
export function expectedTasks(plan: ReadonlyArray<PlannedTask>): Array<ExpectedTask> {
  return plan.flatMap((task) => {
    if (task.kind !== 'parent') return [{ key: task.key, group: task.group }]
    const childKeys = Array.from({ length: CHILDREN_PER_PARENT }, (_, index) => childKey(task.key, index))
    return [{ key: task.key, group: task.group, childKeys }, ...childKeys.map((key) => ({ key, group: task.group, parentKey: task.key }))]
  })
}
