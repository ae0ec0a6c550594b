/**
 * The bounded fault test of one database, as `pnpm test` runs it: about 2,000 tasks on 2 worker
 * processes through a bounded schedule (forms.ts). It asserts that the faults did no damage and
 * that every fault kind of the schedule was injected, and prints the counts per fault kind.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { faultDamage, formatSummaryLine, NO_FAULT_DAMAGE } from './report.js'
import { BOUNDED_SERVER_SEGMENTS, FAULT_TIMING } from './forms.js'
import { openPrivateServerDatabase, type OpenedScenarioDatabase } from './private-databases.js'
import { runScenario } from './scenario.js'
import type { FaultSegment } from './schedule.js'
import type { PrivateServer } from './servers/private-server.js'

/**
 * Declares the bounded fault test of one database. `open` is called in the test (a server is
 * started at collection time by the caller); what it opened is closed in afterAll, also after a
 * failure.
 */
export function describeBoundedFaults(name: string, segments: ReadonlyArray<FaultSegment>, open: () => Promise<OpenedScenarioDatabase>): void {
  describe(`fault injection on ${name} (bounded: 2,000 tasks, 2 worker processes)`, () => {
    let opened: OpenedScenarioDatabase | undefined
    afterAll(async () => {
      await opened?.close()
    })

    it('loses, sticks, corrupts, overwrites and fails nothing, and re-runs only runs in flight on faulted processes', async () => {
      opened = await open()
      const result = await runScenario({ database: opened.database, tasks: 2_000, workers: 2, segments, ...FAULT_TIMING, log: (line) => console.log(line) })
      for (const summary of result.kinds) console.log(formatSummaryLine(summary))
      expect(result.kinds.filter((summary) => summary.kind !== 'none' && summary.faults === 0).map((summary) => summary.kind), 'fault kinds of the schedule that were never injected').toEqual([])
      expect(faultDamage(result), `problems found (seed ${result.seed}):\n${result.problems.join('\n')}`).toEqual(NO_FAULT_DAMAGE)
    }, 240_000)
  })
}

/** Declares the bounded fault test of a private server, behind the fault proxy, with every kind of fault. */
export function describeBoundedServerFaults(server: PrivateServer): void {
  describeBoundedFaults(server.kind, BOUNDED_SERVER_SEGMENTS, () => openPrivateServerDatabase(server))
}
