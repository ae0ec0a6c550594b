/**
 * Four OS processes, each with its own connection, claim the 2,000 steps of one workflow at
 * once on the real servers: every step is claimed exactly once, none is left, and the counts
 * agree. They start together: each opens its connection and says `ready`, then all get `go`.
 */
import { describe, expect, it } from 'vitest'
import { openFreshStore, uniqueTablePrefix } from '../../src/testing/job-store-suite/harness.js'
import { openUrl, reachableServer } from './backends.js'
import { runTogether, startWorkerProcess, type WorkerProcess } from './worker-processes.js'

const STEP_COUNT = 2_000
const PROCESS_COUNT = 4

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
          workers.push(startWorker(url, tablePrefix, workflow.id, `process-${index}`))
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
  })
}

const postgresUrl = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
if (postgresUrl !== undefined) describeMultiProcessClaims('PostgreSQL', postgresUrl)
const mariaDbUrl = await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')
if (mariaDbUrl !== undefined) describeMultiProcessClaims('MariaDB', mariaDbUrl)
