/**
 * Real conflicts on the servers: two transactions that lock two rows in opposite orders deadlock
 * (PostgreSQL 40P01, MariaDB ER_LOCK_DEADLOCK); withTransaction rolls the loser back and runs it
 * again, so both callers succeed and both writes are there. The transactions cross at a barrier
 * both reach holding their first lock, so the deadlock happens on every run.
 */
import { describe, expect, it } from 'vitest'
import { withTransaction, type JobStore } from '../../src/jobs/index.js'
import { withFreshStore } from '../../src/testing/job-store-suite/harness.js'
import { openUrl, reachableServer } from './backends.js'

/** Resolves once `parties` callers have arrived. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  return async () => {
    if (++arrived >= parties) release()
    await released
  }
}

async function crossedTransactions(store: JobStore, firstId: number, secondId: number, runs: { count: number }) {
  const bothHoldTheirFirstRow = barrier(2)
  const lockInOrder = (first: number, second: number, name: string) =>
    withTransaction(store, async (tx) => {
      runs.count++
      await tx.workflows.updateById(first, { name })
      await bothHoldTheirFirstRow()
      await tx.workflows.updateById(second, { name })
    })
  await Promise.all([lockInOrder(firstId, secondId, 'a'), lockInOrder(secondId, firstId, 'b')])
}

for (const [name, envName, fallback] of [
  ['PostgreSQL', 'PG_URL', 'postgres://postgres@127.0.0.1:5432/test'],
  ['MariaDB', 'MYSQL_URL', 'mysql://root@127.0.0.1:3306/test'],
] as const) {
  const url = await reachableServer(envName, fallback)
  if (url === undefined) continue
  describe(`withTransaction on ${name}`, () => {
    it('retries the loser of a deadlock between two crossed transactions, so neither caller sees it', async () => {
      await withFreshStore({ openStore: (prefix) => openUrl(url, prefix) }, async (store) => {
        const first = await store.workflows.create({ name: 'first' })
        const second = await store.workflows.create({ name: 'second' })
        const runs = { count: 0 }
        await crossedTransactions(store, first.id, second.id, runs)
        // At least one ran again: the deadlock happened (the barrier makes it certain) and was retried.
        expect(runs.count).toBeGreaterThanOrEqual(3)
        const names = (await store.workflows.findMany({ orderBy: { id: 'asc' } })).map((row) => row.name)
        // Both writes of the transaction that committed last are there, whichever it was.
        expect([['a', 'a'], ['b', 'b']]).toContainEqual(names)
      })
    }, 60_000)
  })
}
