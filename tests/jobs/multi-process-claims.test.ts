/**
 * Four OS processes, each with its own connection, claim the 2,000 steps of one workflow at
 * once on the real servers: every step is claimed exactly once, none is left, and the counts
 * agree. Then four processes of two workers each drain 200 workflows through claimNextStep with
 * failures and backoff, counted exactly. They start together: each opens its connection and says
 * `ready`, then all get `go`.
 */
import { describe, expect, it } from 'vitest'
import { openFreshStore, uniqueTablePrefix } from '../../src/testing/job-store-suite/harness.js'
import { openUrl, reachableServer } from './backends.js'
import { failsFirstAttempt } from './fixtures/drain-failures.js'
import { runTogether, startWorkerProcess, type WorkerProcess } from './worker-processes.js'

const STEP_COUNT = 2_000
const PROCESS_COUNT = 4
const DRAIN_WORKFLOWS = 200

const startWorker = (url: string, tablePrefix: string, workflowId: number, workerId: string) =>
  startWorkerProcess('tests/jobs/fixtures/claim-worker.ts', [url, tablePrefix, String(workflowId), workerId], workerId)

function describeMultiProcessClaims(name: string, url: string): void {
  describe(`job store on ${name}`, () => {
    it(`lets ${PROCESS_COUNT} OS processes claim ${STEP_COUNT} steps, each exactly once, none left`, async () => {
      const tablePrefix = uniqueTablePrefix()
      const opened = await openFreshStore({ openStore: (prefix) => openUrl(url, prefix) }, tablePrefix)
      const workers: Array<WorkerProcess> = []
      try {
        const { store } = opened
        const workflow = await store.workflows.create({ name: 'multi-process fan-out' })
        await store.workflowSteps.createMany(
          Array.from({ length: STEP_COUNT }, (_, index) => ({
            workflowId: workflow.id, name: `s${index}`, status: 'pending' as const, position: 0, attempts: 0, maxAttempts: 1,
          })),
        )
        for (let index = 0; index < PROCESS_COUNT; index++) {
          workers.push(await startWorker(url, tablePrefix, workflow.id, `process-${index}`))
        }
        const perWorker = await runTogether<Array<number>>(workers)
        const all = perWorker.flat()
        expect(all).toHaveLength(STEP_COUNT)
        expect(new Set(all).size).toBe(STEP_COUNT)
        expect(await store.workflowSteps.countStepsByStatus(workflow.id)).toMatchObject({ pending: 0, running: 0, succeeded: STEP_COUNT })
        expect(await store.workflowSteps.count({ workflowId: workflow.id, attempts: 1 })).toBe(STEP_COUNT)
        expect(await store.workflowSteps.claimStep({ workflowId: workflow.id, workerId: 'late', leaseMs: 1_000 })).toBeUndefined()
      } finally {
        for (const worker of workers) worker.child.kill()
        await opened.close()
      }
    }, 180_000)

    it(`lets ${PROCESS_COUNT} OS processes of 2 workers drain ${DRAIN_WORKFLOWS} workflows through claimNextStep with failures and backoff, counted exactly`, async () => {
      const tablePrefix = uniqueTablePrefix()
      const opened = await openFreshStore({ openStore: (prefix) => openUrl(url, prefix) }, tablePrefix)
      const workers: Array<WorkerProcess> = []
      try {
        const { store } = opened
        for (let index = 0; index < DRAIN_WORKFLOWS; index++) {
          const workflow = await store.workflows.create({ name: 'drain' })
          await store.workflowSteps.createMany([
            { workflowId: workflow.id, name: 'first', position: 0 },
            ...['a', 'b', 'c'].map((name) => ({ workflowId: workflow.id, name, position: 1, parallelGroup: 'g' })),
          ])
        }
        const total = DRAIN_WORKFLOWS * 4
        for (let index = 0; index < PROCESS_COUNT; index++) {
          workers.push(await startWorkerProcess('tests/jobs/fixtures/drain-worker.ts', [url, tablePrefix, 'drain', `p${index}`, String(total)], `p${index}`))
        }
        const claims = (await runTogether<Array<{ stepId: number; attempts: number }>>(workers)).flat()
        const rows = await store.workflowSteps.findMany()
        const failures = rows.filter((row) => failsFirstAttempt(row.id)).length
        expect(rows.filter((row) => row.status !== 'succeeded' || row.attempts !== (failsFirstAttempt(row.id) ? 2 : 1))).toEqual([])
        expect(claims).toHaveLength(total + failures)
        expect(new Set(claims.map((claim) => `${claim.stepId}/${claim.attempts}`)).size).toBe(total + failures)
      } finally {
        for (const worker of workers) worker.child.kill()
        await opened.close()
      }
    }, 300_000)
  })
}

const postgresUrl = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
if (postgresUrl !== undefined) describeMultiProcessClaims('PostgreSQL', postgresUrl)
const mariaDbUrl = await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')
if (mariaDbUrl !== undefined) describeMultiProcessClaims('MariaDB', mariaDbUrl)
