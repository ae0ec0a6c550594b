/**
 * The bounded fault test of one database, as `pnpm test` runs it: about 2,000 tasks on 2 worker
 * processes through a bounded schedule (forms.ts). It asserts that the faults did no damage and
 * that every fault kind of the schedule was injected, and prints the counts per fault kind.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { ScenarioDatabase } from './databases.js'
import { faultDamage, formatSummaryLine, NO_FAULT_DAMAGE } from './report.js'
import { FAULT_TIMING } from './forms.js'
import { runScenario } from './scenario.js'
import type { FaultSegment } from './schedule.js'

/**
 * Declares the bounded fault test of one database. `open` is called in the test (the database is
 * started at collection time by the caller); `close` runs in afterAll, also after a failure.
 */
export function describeBoundedFaults(name: string, segments: ReadonlyArray<FaultSegment>, open: () => Promise<ScenarioDatabase>, close: () => Promise<void>): void {
  describe(`fault injection on ${name} (bounded: 2,000 tasks, 2 worker processes)`, () => {
    afterAll(close)

    it('loses, sticks, corrupts, overwrites and fails nothing, and re-runs only runs in flight on faulted processes', async () => {
      const result = await runScenario({ database: await open(), tasks: 2_000, workers: 2, segments, ...FAULT_TIMING, log: (line) => console.log(line) })
      for (const summary of result.kinds) console.log(formatSummaryLine(summary))
      expect(result.kinds.filter((summary) => summary.kind !== 'none' && summary.faults === 0).map((summary) => summary.kind), 'fault kinds of the schedule that were never injected').toEqual([])
      expect(faultDamage(result), `problems found (seed ${result.seed}):\n${result.problems.join('\n')}`).toEqual(NO_FAULT_DAMAGE)
    }, 240_000)
  })
}
