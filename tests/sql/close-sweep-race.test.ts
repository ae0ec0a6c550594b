/**
 * Close-ready sweeps racing on three-level trees (PostgreSQL and MariaDB servers): eight sweepers
 * with small limits, so a batch holds a child and its parent, or a parent another sweeper holds;
 * writers touching the same parents meanwhile; finalize children that count toward nobody; and a
 * twin table with the same execution ids that no sweep may touch. Every counter ends exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskExecutionStorageValue } from '../../src/core/index.js'
import { buildChildRow, buildTaskExecutionRow } from '../../src/testing/index.js'
import { mariaDbBackend, postgresBackend, uniqueTableName, type OpenedBackend, type SqlBackend } from './backends.js'
import { reachableServerUrl } from './servers.js'

const servers: Array<SqlBackend<unknown>> = []
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) servers.push(postgresBackend(postgresUrl) as SqlBackend<unknown>)
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) servers.push(mariaDbBackend(mariaDbUrl) as SqlBackend<unknown>)

const finished = { status: 'completed', isFinished: true, closeStatus: 'idle' } as const

/**
 * Roots waiting on mids; even mids finished (cancelled), odd mids waiting; every mid with finished
 * leaves and a finalize child, their updatedAt interleaved so one sweep batch mixes the levels.
 */
function buildForest(now: number) {
  const rows: Array<TaskExecutionStorageValue> = []
  const expected = new Map<string, number>()
  let claimable = 0
  for (let rootIndex = 0; rootIndex < 4; rootIndex++) {
    const root = buildTaskExecutionRow({ status: 'waiting_for_children', activeChildrenCount: 6, updatedAt: now - 3000 + rootIndex })
    rows.push(root)
    let rootLeft = 6
    for (let midIndex = 0; midIndex < 6; midIndex++) {
      const midFinished = midIndex % 2 === 0
      const link = { indexInParentChildren: midIndex }
      const mid = midFinished
        ? buildChildRow(root, { ...finished, status: 'cancelled', activeChildrenCount: 5, updatedAt: now - 990 + midIndex, link })
        : buildChildRow(root, { status: 'waiting_for_children', activeChildrenCount: 5, updatedAt: now - 990 + midIndex, link })
      rows.push(mid)
      if (midFinished) {
        rootLeft -= 1
        claimable += 1
      }
      for (let leafIndex = 0; leafIndex < 5; leafIndex++) {
        rows.push(buildChildRow(mid, { ...finished, updatedAt: now - 1000 + leafIndex * 7 + midIndex, link: { indexInParentChildren: leafIndex } }))
        claimable += 1
      }
      // A finalize child: claimed, but released to nobody.
      rows.push(buildChildRow(mid, { ...finished, updatedAt: now - 985 + midIndex, link: { indexInParentChildren: -1, isFinalizeOfParent: true } }))
      claimable += 1
      expected.set(mid.executionId, 0)
    }
    expected.set(root.executionId, rootLeft)
  }
  return { rows, expected, claimable }
}

for (const backend of servers) {
  describe(`close-ready sweeps racing on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    let twin: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_sweep'))
      twin = await backend.open(uniqueTableName('te_twin'))
    })
    afterAll(async () => {
      await opened?.close()
      await twin?.close()
    })

    it('releases each ordinary child to its parent exactly once with writers on the parents meanwhile', async () => {
      const now = Date.now()
      const { rows, expected, claimable } = buildForest(now)
      await opened.storage.insertMany(rows)
      await twin.storage.insertMany(rows)
      const sweep = (limit: number) =>
        opened.storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
          isFinished: true,
          closeStatus: 'idle',
          update: { closeStatus: 'ready', updatedAt: now },
          limit,
        })
      let sweepsDone = 0
      const sweeper = async (limit: number) => {
        let claimed = 0
        for (let count = await sweep(limit); count > 0; count = await sweep(limit)) claimed += count
        sweepsDone += 1
        return claimed
      }
      const parents = rows.filter((row) => expected.has(row.executionId))
      // Writes to the parents while they are released (new versions for the sweeps to follow).
      const writer = async () => {
        let writes = 0
        while (sweepsDone < 8 || writes === 0) {
          // Each parent keeps its place in the sweep order (its updatedAt), so batches mix parents and children.
          const requests = parents.map((parent) => ({
            executionId: parent.executionId,
            filters: {},
            update: { needsPromiseCancellation: writes % 2 === 0, updatedAt: parent.updatedAt },
          }))
          // Alternately all parents in one merged UPDATE and one at a time, in reverse key order.
          if (writes % 2 === 0) await opened.storage.updateManyById(requests)
          else for (const request of requests.reverse()) await opened.storage.updateManyById([request])
          writes += 1
        }
        return writes
      }
      const [claimed] = await Promise.all([Promise.all([3, 5, 7, 2, 11, 4, 6, 9].map(sweeper)), writer(), writer()])
      // A sweep finds nothing when a writer holds the last candidates; one more after the writers stop.
      const drained = await sweeper(100)
      expect(claimed.reduce((sum, count) => sum + count, drained)).toBe(claimable)
      const after = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
      const counts = new Map(after.map((row) => [row!.executionId, row!.activeChildrenCount]))
      expect([...expected.keys()].map((id) => [id, counts.get(id)])).toEqual([...expected])
      expect(after.filter((row) => row!.isFinished && row!.closeStatus !== 'ready')).toEqual([])
      // The twin table holds the same execution ids and was never swept.
      const twinAfter = await twin.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
      expect(twinAfter.map((row) => [row?.activeChildrenCount, row?.closeStatus])).toEqual(rows.map((row) => [row.activeChildrenCount, row.closeStatus]))
    }, 120_000)
  })
}
