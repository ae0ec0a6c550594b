/**
 * A claim on PostgreSQL finds its rows by index, however many rows the table holds (EXPLAIN of
 * the statement the storage sent, on a table of 10,000 rows with fresh statistics). Written as
 * `execution_id IN (locking subquery)` or as a join to it, the planner hash-joined the 200
 * claimed keys to a sequential scan of the whole table: every claim read every row (and a
 * planner free to run the locking subquery on the inner side of a join may run it more than once).
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable, ensurePgTaskExecutionsTables } from '../../src/pg.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName } from './backends.js'
import { reachableServerUrl } from './servers.js'
import { claimCloseReadyRows, claimReadyRows, markFinishedRowsCloseReady } from './sweep-claims.js'

const url = await reachableServerUrl('PostgreSQL')

type PlanNode = { 'Node Type': string; 'Parent Relationship'?: string; Plans?: Array<PlanNode> }

/** Every node of a JSON plan, depth first. */
function planNodes(node: PlanNode): Array<PlanNode> {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)]
}

/** No node of the plan reads the whole table: every row is found through an index. */
function expectIndexProbesOnly(plan: Array<PlanNode>): void {
  expect(plan.map((node) => node['Node Type'])).not.toContain('Seq Scan')
}

if (url) {
  describe('claim plans on PostgreSQL', () => {
    const rowCount = 10_000
    const tableName = uniqueTableName('te_cplan')
    const table = createPgTaskExecutionsTable(tableName)
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    // Every statement with a locking subquery, as the storage sends it.
    const claims: Array<{ text: string; values: Array<unknown> }> = []
    const logQuery = (text: string, values: Array<unknown>) => {
      if (text.toLowerCase().includes('for update skip locked')) claims.push({ text, values })
    }
    const db = drizzle({ client: pool, logger: { logQuery } })
    const storage = createPgTaskExecutionsStorage(db, table, { enableTestMode: true })
    const now = Date.now()
    let probe: pg.Client

    beforeAll(async () => {
      await db.execute(sql`drop table if exists ${table}`)
      await ensurePgTaskExecutionsTables(db, [table])
      const rows = Array.from({ length: rowCount }, (_, index) =>
        index % 3 === 0
          ? buildTaskExecutionRow({ status: 'ready', startAt: now - rowCount + index })
          : index % 3 === 1
            ? buildTaskExecutionRow({ status: 'completed', isFinished: true, finishedAt: now - rowCount + index, updatedAt: now - rowCount + index })
            : buildTaskExecutionRow({ status: 'completed', isFinished: true, closeStatus: 'ready', finishedAt: now - rowCount + index, updatedAt: now - rowCount + index }),
      )
      for (let start = 0; start < rowCount; start += 1000) await storage.insertMany(rows.slice(start, start + 1000))
      probe = new pg.Client({ connectionString: url })
      await probe.connect()
      await probe.query(`analyze ${tableName}`)
    }, 60_000)
    afterAll(async () => {
      await probe?.end()
      await db.execute(sql`drop table if exists ${table}`)
      await pool.end()
    })

    /** The plan nodes of the last statement with a locking subquery the storage sent. */
    const planOfLastClaim = async (): Promise<Array<PlanNode>> => {
      const statement = claims.at(-1)
      if (!statement) throw new Error('The claim sent no statement with a locking subquery')
      const explained = await probe.query(`explain (format json) ${statement.text}`, statement.values)
      return planNodes((explained.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan)
    }

    it('claims close-ready rows', async () => {
      const claimed = await claimCloseReadyRows(storage, now, 200)
      expect(claimed).toHaveLength(200)
      expectIndexProbesOnly(await planOfLastClaim())
    })

    it('marks finished rows close-ready', async () => {
      const closeReady = async () => (await probe.query(`select count(*)::int as count from ${tableName} where close_status = 'ready'`)).rows[0].count as number
      const before = await closeReady()
      const claimed = await markFinishedRowsCloseReady(storage, now, 200)
      expect(claimed).toBe(200)
      expect(await closeReady()).toBe(before + 200)
      expectIndexProbesOnly(await planOfLastClaim())
    })

    it('claims ready rows through index probes of the keys its locking subquery picked once, taking no more than asked', async () => {
      const claimed = await claimReadyRows(storage, now, 200)
      expect(claimed).toHaveLength(200)
      const running = await probe.query(`select count(*)::int as count from ${tableName} where status = 'running'`)
      expect(running.rows[0].count).toBe(200)
      const plan = await planOfLastClaim()
      expectIndexProbesOnly(plan)
      // The locking subquery is an InitPlan: run once, before the UPDATE reads a row.
      expect(plan.some((node) => node['Parent Relationship'] === 'InitPlan' && node['Node Type'] === 'Limit')).toBe(true)
    })
  })
}
