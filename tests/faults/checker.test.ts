/**
 * The fault checker against planted histories: a clean run is classified clean, and each kind of
 * fault damage, planted on purpose, is classified as what it is.
 */
import { describe, expect, it } from 'vitest'
import { checkFaultRun, emptyCounts, type CheckInput, type ExpectedTask, type FaultRecord, type FinalRow } from './checker.js'
import type { HistoryRecord } from './history.js'

/** Builds a planted history: runs of tasks on processes at given times. */
function history() {
  const records: Array<HistoryRecord> = []
  let counter = 0
  const builder = {
    records,
    /** A run that starts at `at` and, unless `finishAt` is undefined, finishes with `outcome`. */
    run(key: string, pid: number, at: number, finishAt: number | undefined, options: { attempt?: number; outcome?: 'returned' | 'threw' | 'aborted'; designed?: boolean } = {}) {
      const runId = `${pid}-${++counter}`
      records.push({ type: 'start', runId, key, attempt: options.attempt ?? 0, pid, at })
      if (finishAt !== undefined) {
        records.push({ type: 'finish', runId, key, outcome: options.outcome ?? 'returned', designed: options.designed ?? false, at: finishAt })
      }
      return runId
    },
    crash(pid: number, at: number) {
      records.push({ type: 'crash', pid, at, origin: 'uncaughtException', message: 'Connection terminated unexpectedly' })
    },
  }
  return builder
}

const completed = (key: string, runId: string, children?: Array<string>): FinalRow => ({ key, status: 'completed', output: { key, runId, ...(children ? { children } : {}) } })
const task = (key: string, extra: Partial<ExpectedTask> = {}): ExpectedTask => ({ key, group: 'g', ...extra })

function check(tasks: Array<ExpectedTask>, rows: Array<FinalRow>, records: Array<HistoryRecord>, faults: Array<FaultRecord> = []) {
  const input: CheckInput = { tasks, rows, history: records, faults }
  return checkFaultRun(input)
}

function problemsOf(result: ReturnType<typeof check>, key: string) {
  return result.verdicts.find((verdict) => verdict.key === key)?.problems.map((found) => found.problem)
}

describe('fault checker', () => {
  it('classifies a clean history of plain, retried and parent tasks as all finished once', () => {
    const h = history()
    const plain = h.run('plain', 1, 10, 20)
    h.run('flaky', 1, 10, 15, { outcome: 'threw', designed: true })
    const flaky = h.run('flaky', 2, 30, 40, { attempt: 1 })
    const parent = h.run('parent', 2, 10, 12)
    const childA = h.run('parent.c0', 1, 13, 14)
    const childB = h.run('parent.c1', 2, 13, 15)
    const result = check(
      [task('plain'), task('flaky'), task('parent', { childKeys: ['parent.c0', 'parent.c1'] }), task('parent.c0', { parentKey: 'parent' }), task('parent.c1', { parentKey: 'parent' })],
      [completed('plain', plain), completed('flaky', flaky), completed('parent', parent, [childA, childB]), completed('parent.c0', childA), completed('parent.c1', childB)],
      h.records,
    )
    expect(result.total).toEqual({ ...emptyCounts(), tasks: 5, finishedOnce: 5, runs: 6 })
    expect(result.crashes).toEqual([])
  })

  it('classifies a task without a row as lost', () => {
    const result = check([task('gone')], [], [])
    expect(problemsOf(result, 'gone')).toEqual(['lost'])
    expect(result.total.lost).toBe(1)
  })

  it('classifies a task whose row is not in a finished status as stuck', () => {
    const h = history()
    h.run('held', 1, 10, undefined)
    const result = check([task('held')], [{ key: 'held', status: 'running' }], h.records, [{ kind: 'sigkill', from: 11, to: 11, pid: 1 }])
    expect(problemsOf(result, 'held')).toEqual(['stuck'])
  })

  it('classifies an output written by a paused run after another run took the task over as a stale write', () => {
    const h = history()
    const paused = h.run('task', 1, 10, 5_000)
    h.run('task', 2, 4_000, 4_100)
    const result = check([task('task')], [completed('task', paused)], h.records, [{ kind: 'pause', from: 20, to: 4_900, pid: 1 }])
    expect(problemsOf(result, 'task')).toEqual(['stale-write'])
    expect(result.total).toMatchObject({ staleWrites: 1, duplicateRuns: 1, runningAtFaults: 1, inFlightAtFaults: 1, duplicatedBeyondFaults: 0 })
  })

  it('classifies a failed row whose last run returned as a succeeded run recorded as failed', () => {
    const h = history()
    h.run('task', 1, 10, 20)
    const result = check([task('task')], [{ key: 'task', status: 'failed', errorMessage: 'Connection terminated' }], h.records)
    expect(problemsOf(result, 'task')).toEqual(['succeeded-recorded-failed'])
  })

  it('classifies a failed row whose last run threw as a wrong output, not as a succeeded run', () => {
    const h = history()
    h.run('task', 1, 10, 20, { outcome: 'threw', designed: true })
    const result = check([task('task')], [{ key: 'task', status: 'failed', errorMessage: 'planted' }], h.records)
    expect(problemsOf(result, 'task')).toEqual(['wrong-output'])
  })

  it('classifies outputs naming another task, an unknown run or other children runs as wrong outputs', () => {
    const h = history()
    const run = h.run('a', 1, 10, 20)
    h.run('b', 1, 10, 20)
    const parent = h.run('p', 1, 10, 20)
    const child = h.run('p.c0', 1, 21, 22)
    const result = check(
      [task('a'), task('b'), task('p', { childKeys: ['p.c0'] }), task('p.c0', { parentKey: 'p' })],
      [completed('a', 'nobody-1'), { key: 'b', status: 'completed', output: { key: 'a', runId: run } }, completed('p', parent, ['stale-9']), completed('p.c0', child)],
      h.records,
    )
    expect([problemsOf(result, 'a'), problemsOf(result, 'b'), problemsOf(result, 'p'), problemsOf(result, 'p.c0')]).toEqual([
      ['wrong-output'],
      ['wrong-output'],
      ['wrong-output'],
      [],
    ])
  })

  it('classifies two rows holding one task as a wrong output', () => {
    const h = history()
    const run = h.run('twice', 1, 10, 20)
    const result = check([task('twice')], [completed('twice', run), completed('twice', run)], h.records)
    expect(problemsOf(result, 'twice')).toEqual(['wrong-output'])
  })

  it('accepts a re-run of a run that was in flight on a process when it was SIGKILLed', () => {
    const h = history()
    h.run('task', 1, 10, undefined)
    const rerun = h.run('task', 2, 5_000, 5_010)
    const result = check([task('task')], [completed('task', rerun)], h.records, [{ kind: 'sigkill', from: 20, to: 20, pid: 1 }])
    expect(problemsOf(result, 'task')).toEqual([])
    expect(result.total).toMatchObject({ finishedOnce: 1, duplicateRuns: 1, runningAtFaults: 1, inFlightAtFaults: 1 })
  })

  it('counts a run that returned less than a lease before its process was SIGKILLed as in flight, its outcome maybe unwritten', () => {
    const h = history()
    h.run('late', 1, 500, 600)
    const lateRerun = h.run('late', 2, 9_000, 9_010)
    h.run('early', 1, 10, 100)
    const earlyRerun = h.run('early', 2, 9_000, 9_010)
    const result = checkFaultRun({
      tasks: [task('late'), task('early')],
      rows: [completed('late', lateRerun), completed('early', earlyRerun)],
      history: h.records,
      faults: [{ kind: 'sigkill', from: 1_000, to: 1_000, pid: 1 }],
      leaseMs: 600,
    })
    expect([problemsOf(result, 'late'), problemsOf(result, 'early')]).toEqual([[], ['duplicated-beyond-faults']])
    expect(result.total).toMatchObject({ runningAtFaults: 0, inFlightAtFaults: 1 })
  })

  it('classifies a re-run without any fault as duplicated beyond faults', () => {
    const h = history()
    h.run('task', 1, 10, 20)
    const second = h.run('task', 2, 30, 40)
    const result = check([task('task')], [completed('task', second)], h.records)
    expect(problemsOf(result, 'task')).toEqual(['duplicated-beyond-faults'])
  })

  it('does not let a SIGKILL of one process explain a re-run of a task that ran on another', () => {
    const h = history()
    h.run('task', 1, 10, undefined)
    const second = h.run('task', 2, 5_000, 5_010)
    const result = check([task('task')], [completed('task', second)], h.records, [{ kind: 'sigkill', from: 20, to: 20, pid: 3 }])
    expect(problemsOf(result, 'task')).toEqual(['duplicated-beyond-faults'])
  })

  it('classifies a run a paused process starts after waking, on a task finished elsewhere, as duplicated beyond faults', () => {
    const h = history()
    const valid = h.run('task', 2, 3_000, 3_010)
    h.run('task', 1, 5_000, 5_010)
    const result = check([task('task')], [completed('task', valid)], h.records, [{ kind: 'pause', from: 100, to: 4_900, pid: 1 }])
    expect(problemsOf(result, 'task')).toEqual(['stale-write', 'duplicated-beyond-faults'])
  })

  it('lets a database fault explain re-runs of runs in flight on every process, and no others', () => {
    const h = history()
    h.run('during', 1, 2_100, undefined)
    const duringRerun = h.run('during', 2, 9_000, 9_010)
    h.run('before', 2, 1, 5)
    const beforeRerun = h.run('before', 1, 9_000, 9_010)
    const result = check([task('during'), task('before')], [completed('during', duringRerun), completed('before', beforeRerun)], h.records, [{ kind: 'restart', from: 2_000, to: 2_900 }])
    expect([problemsOf(result, 'during'), problemsOf(result, 'before')]).toEqual([[], ['duplicated-beyond-faults']])
  })

  it('does not count a designed retry as a duplicate, but counts a repeated designed attempt', () => {
    const h = history()
    h.run('once', 1, 10, 15, { outcome: 'threw', designed: true })
    const once = h.run('once', 1, 20, 25, { attempt: 1 })
    h.run('twice', 1, 10, 15, { outcome: 'threw', designed: true })
    h.run('twice', 2, 16, 17, { outcome: 'threw', designed: true })
    const twice = h.run('twice', 1, 20, 25, { attempt: 1 })
    const result = check([task('once'), task('twice')], [completed('once', once), completed('twice', twice)], h.records)
    expect([problemsOf(result, 'once'), problemsOf(result, 'twice')]).toEqual([[], ['duplicated-beyond-faults']])
  })

  it('lists crash records and lets a crash explain the re-runs of its in-flight runs', () => {
    const h = history()
    h.run('task', 7, 10, undefined)
    h.crash(7, 30)
    const rerun = h.run('task', 8, 5_000, 5_010)
    const result = check([task('task')], [completed('task', rerun)], h.records)
    expect(problemsOf(result, 'task')).toEqual([])
    expect(result.crashes).toEqual([{ pid: 7, at: 30, origin: 'uncaughtException', message: 'Connection terminated unexpectedly' }])
  })

  it('expects the children of a parent only once its run was recorded', () => {
    const h = history()
    const parentRun = h.run('done', 1, 10, 20)
    const result = check(
      [task('early', { childKeys: ['early.c0'] }), task('early.c0', { parentKey: 'early' }), task('done', { childKeys: ['done.c0'] }), task('done.c0', { parentKey: 'done' })],
      [{ key: 'early', status: 'ready' }, completed('done', parentRun, ['<none>'])],
      h.records,
    )
    expect(result.verdicts.map((verdict) => [verdict.key, verdict.problems.map((found) => found.problem)])).toEqual([
      ['early', ['stuck']],
      ['done', []],
      ['done.c0', ['lost']],
    ])
  })

  it('totals each group apart', () => {
    const h = history()
    const run = h.run('a', 1, 10, 20)
    const result = check([task('a', { group: 'sigkill' }), task('b', { group: 'pause' })], [completed('a', run)], h.records)
    expect(Object.fromEntries([...result.byGroup].map(([group, counts]) => [group, [counts.finishedOnce, counts.lost]]))).toEqual({ sigkill: [1, 0], pause: [0, 1] })
  })
})
