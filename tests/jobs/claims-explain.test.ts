/**
 * The hot queries of the job runner use an index on PostgreSQL at 100k steps: claimNextStep,
 * the expired-lease sweep, the due-timer claim and history by step (as a cascade delete reads it).
 * Each statement is captured as the repository sends it and explained with its parameters.
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobTablesInCreationOrder, openJobStore, type RootJobStore } from '../../src/jobs/index.js'
import { pgJobDialect } from '../../src/pg.js'
import { uniqueTablePrefix } from '../../src/testing/job-store-suite/harness.js'
import { reachableServer } from './backends.js'

const WORKFLOWS = 1_000
const STEPS_PER_WORKFLOW = 100
const NEVER = Number.MAX_SAFE_INTEGER

/** Every index a JSON plan names. */
function indexesOf(plan: unknown): Array<string> {
  if (Array.isArray(plan)) return plan.flatMap(indexesOf)
  if (typeof plan !== 'object' || plan === null) return []
  const node = plan as Record<string, unknown>
  const own = typeof node['Index Name'] === 'string' ? [node['Index Name']] : []
  return [...own, ...Object.values(node).flatMap(indexesOf)]
}

const url = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
if (url !== undefined) {
  describe('hot job-runner queries on PostgreSQL at 100k steps', () => {
    const prefix = uniqueTablePrefix()
    const pool = new pg.Pool({ connectionString: url, max: 4 })
    const sent: Array<{ readonly query: string; readonly params: Array<unknown> }> = []
    const store: RootJobStore = openJobStore(pgJobDialect, drizzle({ client: pool, logger: { logQuery: (query, params) => sent.push({ query, params }) } }), { tablePrefix: prefix })
    const now = Date.now()

    /** The plan's indexes for the last statement `run` sent. */
    async function indexesUsedBy(run: () => Promise<unknown>): Promise<Array<string>> {
      sent.length = 0
      await run()
      const statement = sent.at(-1)!
      const result = await pool.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${statement.query}`, statement.params)
      return indexesOf(result.rows[0]!['QUERY PLAN'])
    }

    beforeAll(async () => {
      await store.ensureTables()
      const { workflows, workflowSteps, workflowHistory, timers } = store.tables
      // Rows in every status are written directly: the repositories create them in their initial status only.
      await store.session.insertRows(workflows, Array.from({ length: WORKFLOWS }, (_, index) => ({
        name: `w${index}`, status: 'running', attempts: 1, createdAt: now, updatedAt: now,
      })))
      const ids = (await store.session.selectRows(workflows, { fields: { id: workflows.id } })).map((row) => Number(row.id))
      const steps = ids.flatMap((workflowId) => Array.from({ length: STEPS_PER_WORKFLOW }, (_, position) => {
        const done = position < STEPS_PER_WORKFLOW - 2
        return {
          workflowId, name: `s${position}`, position, status: done ? 'succeeded' : position === STEPS_PER_WORKFLOW - 2 ? 'running' : 'pending',
          attempts: done ? 1 : 0, maxAttempts: 3, claimedBy: done ? null : 'w', leaseExpiresAt: done ? null : now + 60_000,
          availableAt: done ? NEVER : now + 60_000, createdAt: now, updatedAt: now,
        }
      }))
      await store.session.insertRows(workflowSteps, steps)
      const stepIds = (await store.session.selectRows(workflowSteps, { fields: { id: workflowSteps.id, workflowId: workflowSteps.workflowId }, limit: 20_000 }))
      await store.session.insertRows(workflowHistory, stepIds.map((row) => ({ workflowId: row.workflowId, stepId: row.id, event: 'step', createdAt: now })))
      await store.session.insertRows(timers, stepIds.slice(0, 10_000).map((row, index) => ({
        workflowId: row.workflowId, stepId: row.id, status: index % 100 === 0 ? 'scheduled' : 'fired', dueAt: now - index, createdAt: now, updatedAt: now,
      })))
      for (const table of [workflows, workflowSteps, workflowHistory, timers]) await store.session.executeStatement(sql`analyze ${table}`)
    }, 300_000)

    afterAll(async () => {
      for (const table of jobTablesInCreationOrder(store.tables).reverse()) await store.session.executeStatement(sql`drop table if exists ${table}`)
      await pool.end()
    })

    it('claims the next step across workflows through the available-at index', async () => {
      expect(await indexesUsedBy(() => store.workflowSteps.claimNextStep({ workerId: 'x', leaseMs: 1_000 }))).toContain(`${prefix}workflow_steps_available_ix`)
    })

    it('finds expired leases across workflows through the available-at index', async () => {
      expect(await indexesUsedBy(() => store.workflowSteps.findExpiredLeases())).toContain(`${prefix}workflow_steps_available_ix`)
    })

    it('claims due timers through the due index', async () => {
      expect(await indexesUsedBy(() => store.timers.claimDueTimers({ limit: 10 }))).toContain(`${prefix}timers_due_ix`)
    })

    it('reads history by step through the step index', async () => {
      const [step] = await store.workflowSteps.findMany({ limit: 1 })
      expect(await indexesUsedBy(() => store.workflowHistory.findMany({ where: { stepId: step!.id } }))).toContain(`${prefix}workflow_history_step_ix`)
    })
  })
}
