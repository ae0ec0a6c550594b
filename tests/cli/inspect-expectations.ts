/** What `inspect` must show for the known state of `known-state.ts`, plain and JSON. */
import { expect } from 'vitest'

/** The seeded counts per status and task id. */
export const SEEDED_COUNTS = [
  { status: 'completed', taskId: 'charge', count: 1 },
  { status: 'completed', taskId: 'etl', count: 2 },
  { status: 'completed', taskId: 'etl_chunk', count: 3 },
  { status: 'failed', taskId: 'charge', count: 1 },
  { status: 'ready', taskId: 'email', count: 2 },
  { status: 'running', taskId: 'etl_chunk', count: 1 },
  { status: 'timed_out', taskId: 'charge', count: 1 },
  { status: 'waiting_for_children', taskId: 'etl', count: 1 },
]

/** Checks the plain-text overview. */
export function expectInspectText(stdout: string, tableName: string): void {
  expect(stdout).toContain(`Task executions in ${tableName}`)
  for (const row of SEEDED_COUNTS) expect(stdout).toMatch(new RegExp(`^  ${row.status} +${row.taskId} +${row.count}$`, 'm'))
  expect(stdout).toMatch(/^Oldest ready: email-ready-old \(task email\)/m)
  expect(stdout).toMatch(/^Expired leases: 1\n {2}child-expired \(task etl_chunk\) on executor executor-gone/m)
  // Newest failure first, each with its message.
  expect(stdout).toMatch(/^Recent failures:\n.* timed_out charge-recent \(task charge\): took too long\n.* failed charge-old-failed \(task charge\): card declined$/m)
  expect(stdout).toMatch(/^Workflows by status:\n {2}status +count\n {2}cancelled +1\n {2}completed +1\n {2}running +1$/m)
}

/** Checks the JSON overview. */
export function expectInspectJson(parsed: unknown, tableName: string): void {
  expect(parsed).toMatchObject({
    taskExecutions: {
      tableName,
      byStatusAndTaskId: SEEDED_COUNTS,
      oldestReady: { executionId: 'email-ready-old', taskId: 'email', status: 'ready' },
      expiredLeases: { count: 1, oldest: [{ executionId: 'child-expired', executorId: 'executor-gone' }] },
      recentFailures: [
        { executionId: 'charge-recent', status: 'timed_out', errorMessage: 'took too long' },
        { executionId: 'charge-old-failed', status: 'failed', errorMessage: 'card declined' },
      ],
    },
    workflows: [
      { status: 'cancelled', count: 1 },
      { status: 'completed', count: 1 },
      { status: 'running', count: 1 },
    ],
  })
}
