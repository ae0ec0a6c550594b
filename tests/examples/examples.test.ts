/**
 * Every example under examples/ runs to the end and exits by itself: the in-process ones always,
 * the server ones on the local PostgreSQL and MariaDB in a database of their own (an unreachable
 * server: one loud line locally, a failing test in CI).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { reachableServerUrl } from '../sql/servers.js'
import { EXAMPLES } from './catalog.js'
import { createScratchDatabase, runExample } from './run-example.js'

/** The lines of an example's output that report a finished execution, and their statuses. */
function finishedStatuses(stdout: string): Array<string> {
  return stdout
    .split('\n')
    .map((line) => /^(?:[\w-]+ ){0,2}(completed|failed|timed_out|cancelled)(?::| |$)/.exec(line)?.[1])
    .filter((status): status is string => status !== undefined)
}

const drops: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop()
})

describe('examples without a server', () => {
  for (const { file } of EXAMPLES.filter((example) => example.needs === 'nothing')) {
    it(`${file} runs, finishes its executions and exits`, async () => {
      const { stdout } = await runExample(file)
      const statuses = finishedStatuses(stdout)
      expect(statuses.length).toBeGreaterThan(0)
      expect(statuses.every((status) => status === 'completed')).toBe(true)
    }, 150_000)
  }
})

for (const kind of ['PostgreSQL', 'MariaDB'] as const) {
  const serverUrl = await reachableServerUrl(kind)
  describe.runIf(serverUrl !== undefined)(`examples on ${kind}`, () => {
    for (const { file } of EXAMPLES.filter((example) => example.needs === kind)) {
      it(`${file} runs in a database of its own, finishes its execution and exits`, async () => {
        const scratch = await createScratchDatabase(kind, serverUrl as string)
        drops.push(scratch.drop)
        const { stdout } = await runExample(file, { DATABASE_URL: scratch.url })
        expect(finishedStatuses(stdout)).toEqual(['completed'])
      }, 150_000)
    }
  })
}
