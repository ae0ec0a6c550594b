import { describe, expect, it } from 'vitest'

import { spawnFixture, waitForExit } from './fixtures/run-fixture.js'

// The executor runs in a process of its own: the test runner's timers would blur the picture.
describe.each(['no-batching', 'batching'])('executor shutdown (%s)', (mode) => {
  it('leaves no timer or immediate open, so its process ends on its own', async () => {
    const child = spawnFixture('shutdown-child.ts', [mode])
    // A process kept alive by a leftover timer never exits: kill it and fail instead of hanging.
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const result = await waitForExit(child)
    clearTimeout(killer)

    expect(result.stderr).toBe('')
    expect(result.signal).toBeNull()
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout.trim()) as {
      before: Array<string>
      after: Array<string>
      statuses: Array<string>
      runningAtShutdown: number
      untilShutdownStatus: string
    }
    expect(report.statuses).toEqual(['completed', 'completed', 'completed'])
    expect(report.runningAtShutdown).toBe(1)
    expect(report.after).toEqual(report.before)
    // Shutdown waited for the run in progress, which returned once it saw the shutdown signal.
    expect(report.untilShutdownStatus).toBe('completed')
  })
})
