/**
 * How fault counts are shown: one summary line per fault kind and database (printed by the tests
 * and by `pnpm test:chaos`), the damage totals the tests assert to be zero, and the Markdown report
 * the chaos run writes.
 */
import type { CheckCounts } from './checker.js'
import type { FaultKindSummary, ScenarioResult } from './scenario.js'

/** One line: the fault kind, how many faults, and every count of the checker for its tasks. */
export function formatSummaryLine(summary: FaultKindSummary): string {
  const { counts } = summary
  return (
    `[faults] ${summary.backend} ${summary.kind} (${summary.faults} faults): ${counts.tasks} tasks, ${counts.finishedOnce} finished once, ` +
    `${counts.lost} lost, ${counts.stuck} stuck, ${counts.wrongOutput} wrong output, ${counts.staleWrites} stale writes, ` +
    `${counts.succeededRecordedFailed} succeeded recorded failed, ${counts.duplicatedBeyondFaults} duplicated beyond faults; ` +
    `${counts.duplicateRuns} duplicate runs, ${counts.runningAtFaults} runs executing at faults, ${counts.inFlightAtFaults} in flight (outcome maybe unwritten); ` +
    `${summary.crashes} worker crashes`
  )
}

/** The checker's counts that must be zero whatever the faults. */
const DAMAGE_COUNTS = ['lost', 'stuck', 'wrongOutput', 'staleWrites', 'succeededRecordedFailed', 'duplicatedBeyondFaults'] as const satisfies ReadonlyArray<keyof CheckCounts>

/**
 * The damage a scenario must not show: every count that the issue requires to be 0, and the
 * workers that crashed or exited on their own. Duplicates are bounded per task (no task re-ran
 * more often than its runs in flight at faults), which is stricter than the total bound.
 */
export function faultDamage(result: ScenarioResult): Record<string, number> {
  return {
    ...Object.fromEntries(DAMAGE_COUNTS.map((name) => [name, result.check.total[name]])),
    crashes: result.check.crashes.length,
    unexpectedExits: result.unexpectedExits.length,
  }
}

/** The damage a clean scenario shows: zero everywhere. */
export const NO_FAULT_DAMAGE: Record<string, number> = { ...Object.fromEntries(DAMAGE_COUNTS.map((name) => [name, 0])), crashes: 0, unexpectedExits: 0 }

/** Facts about the run for the report's header. */
export type ReportContext = { date: string; commit: string; machine: string; command: string; durationMs: number; timing: string }

/** The chaos report: context, one table row per database and fault kind, and the problems found. */
export function formatReportMarkdown(results: ReadonlyArray<ScenarioResult>, context: ReportContext): string {
  const header = '| database | fault | faults | tasks | finished once | lost | stuck | wrong output | stale writes | succeeded recorded failed | duplicated beyond faults | duplicate runs | runs executing at faults | runs in flight at faults | worker crashes |'
  const rows = results.flatMap((result) =>
    result.kinds.map(({ backend, kind, faults, counts, crashes }) =>
      `| ${backend} | ${kind} | ${faults} | ${counts.tasks} | ${counts.finishedOnce} | ${counts.lost} | ${counts.stuck} | ${counts.wrongOutput} | ${counts.staleWrites} | ${counts.succeededRecordedFailed} | ${counts.duplicatedBeyondFaults} | ${counts.duplicateRuns} | ${counts.runningAtFaults} | ${counts.inFlightAtFaults} | ${crashes} |`,
    ),
  )
  const runs = results.map(
    (result) =>
      `- ${result.backend}: seed ${result.seed}, ${(result.durationMs / 1000).toFixed(0)} s` +
      (result.proxyStats ? `, through the proxy ${result.proxyStats.connections} connections, ${result.proxyStats.commits} COMMITs, ${result.proxyStats.lostCommitReplies} replies lost` : ''),
  )
  const problems = results.flatMap((result) => (result.problems.length === 0 ? [] : [`### ${result.backend} (seed ${result.seed})`, '', ...result.problems.map((line) => `- ${line}`), '']))
  return [
    '# Fault-injection report',
    '',
    'Written by `pnpm test:chaos` (scripts/chaos.ts); the counts are those of tests/faults/checker.ts. A task counts',
    'under the fault kind of the schedule segment in which it was enqueued; tasks include the children of parent tasks.',
    '"Runs executing at faults": run functions executing on a process when a fault hit it. "Runs in flight": also',
    'those that had returned less than a lease earlier (their outcome write may not have landed); each task\'s',
    'duplicate runs must not exceed its runs in flight, or it counts as "duplicated beyond faults".',
    '',
    `- date: ${context.date}`,
    `- commit: ${context.commit}`,
    `- machine: ${context.machine}`,
    `- command: \`${context.command}\``,
    `- duration: ${(context.durationMs / 1000).toFixed(0)} s`,
    `- timing: ${context.timing}`,
    ...runs,
    '',
    header,
    `|${header.split('|').slice(1, -1).map(() => ' --- ').join('|')}|`,
    ...rows,
    '',
    problems.length === 0 ? 'No problems found.' : '## Problems found (the first few of each kind per database)',
    '',
    ...problems,
  ].join('\n')
}
