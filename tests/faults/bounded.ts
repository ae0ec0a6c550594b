/**
 * The bounded fault scenarios that run in `pnpm test`: about 2,000 tasks on 2 worker processes,
 * a few faults of each kind that applies, short leases. One test per database asserts that the
 * faults did no damage and that every fault kind of its schedule was injected.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { ScenarioDatabase } from './databases.js'
import { faultDamage, formatSummaryLine, NO_FAULT_DAMAGE } from './report.js'
import { runScenario, type ScenarioOptions } from './scenario.js'
import type { FaultSegment } from './schedule.js'

/** Leases of 3.5 s (2.5 s timeout + 1 s leeway); a pause outlasts one. */
export const BOUNDED_TIMING: Pick<ScenarioOptions, 'timing' | 'expireLeewayMs' | 'durations'> = {
  timing: { timeoutMs: 2_500, maxRunMs: 150 },
  expireLeewayMs: 1_000,
  durations: { pauseMs: 5_000, stallMs: 2_000, restartDownMs: 500 },
}

/** A server behind the fault proxy: every kind of fault. */
export const BOUNDED_SERVER_SEGMENTS: ReadonlyArray<FaultSegment> = [
  { kind: 'none', durationMs: 2_000 },
  { kind: 'sigkill', durationMs: 4_000, count: 2 },
  { kind: 'pause', durationMs: 8_000, count: 1 },
  { kind: 'restart', durationMs: 3_000, count: 1 },
  { kind: 'connection-kill', durationMs: 3_000, count: 3 },
  { kind: 'proxy-cut', durationMs: 3_000, count: 2 },
  { kind: 'proxy-stall', durationMs: 4_000, count: 1 },
  { kind: 'lost-commit-reply', durationMs: 3_000, count: 3 },
]

/** A database file: process faults only. */
export const BOUNDED_FILE_SEGMENTS: ReadonlyArray<FaultSegment> = [
  { kind: 'none', durationMs: 2_000 },
  { kind: 'sigkill', durationMs: 6_000, count: 3 },
  { kind: 'pause', durationMs: 16_000, count: 2 },
]

/**
 * Declares the bounded fault test of one database. `open` is called in the test (the database is
 * started at collection time by the caller); `close` runs in afterAll, also after a failure.
 */
export function describeBoundedFaults(name: string, segments: ReadonlyArray<FaultSegment>, open: () => Promise<ScenarioDatabase>, close: () => Promise<void>): void {
  describe(`fault injection on ${name} (bounded: 2,000 tasks, 2 worker processes)`, () => {
    afterAll(close)

    it('loses, sticks, corrupts, overwrites and fails nothing, and re-runs only runs in flight on faulted processes', async () => {
      const result = await runScenario({ database: await open(), tasks: 2_000, workers: 2, segments, ...BOUNDED_TIMING, log: (line) => console.log(line) })
      for (const summary of result.kinds) console.log(formatSummaryLine(summary))
      expect(result.kinds.filter((summary) => summary.kind !== 'none' && summary.faults === 0).map((summary) => summary.kind), 'fault kinds of the schedule that were never injected').toEqual([])
      expect(faultDamage(result), `problems found (seed ${result.seed}):\n${result.problems.join('\n')}`).toEqual(NO_FAULT_DAMAGE)
    }, 240_000)
  })
}
