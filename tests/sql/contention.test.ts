/**
 * Concurrency against the real servers: four OS processes claiming from one table (no row claimed
 * twice, none left behind), concurrent insert-children-if-updated on one parent (children
 * inserted by exactly the caller whose update matched), and concurrent close-ready sweeps (each
 * child released to its parent exactly once).
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTaskExecutionRow, parentLinkTo, randomExecutorId } from '../../src/testing/index.js'
import { mariaDbBackend, postgresBackend, uniqueTableName, type OpenedBackend, type SqlBackend } from './backends.js'
import { compiledScript } from '../support/compiled-script.js'
import { reachableServerUrl } from './servers.js'

// Compiled once for this file: each claim worker is a plain `node` process.
const claimWorkerScript = await compiledScript('tests/sql/fixtures/claim-worker.ts')

/** A claim-worker process: resolves `ready` once connected, `claimed` with its ids when done. */
function startClaimWorker(args: ReadonlyArray<string>) {
  const child = spawn(process.execPath, [claimWorkerScript, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  let output = ''
  let onReady: () => void
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    if (output.includes('ready\n')) onReady()
  })
  const claimed = new Promise<Array<string>>((resolve, reject) =>
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(output.trim().split('\n').at(-1)!) as Array<string>)
        : reject(new Error(`claim worker exited with ${code}: ${output}`)),
    ),
  )
  return { ready, go: () => child.stdin.end('go\n'), claimed }
}

const servers: Array<{ backend: SqlBackend<unknown>; dialect: 'pg' | 'mysql'; url: string }> = []
const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) servers.push({ backend: postgresBackend(postgresUrl) as SqlBackend<unknown>, dialect: 'pg', url: postgresUrl })
const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) servers.push({ backend: mariaDbBackend(mariaDbUrl) as SqlBackend<unknown>, dialect: 'mysql', url: mariaDbUrl })

const ROWS = 600
const PROCESSES = 4

for (const { backend, dialect, url } of servers) {
  describe(`contention on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    let tableName: string
    beforeAll(async () => {
      tableName = uniqueTableName('te_race')
      opened = await backend.open(tableName)
    })
    afterAll(async () => {
      await opened.close()
    })

    it(`${PROCESSES} processes claiming ${ROWS} rows at once claim each exactly once`, async () => {
      const now = Date.now()
      const rows = Array.from({ length: ROWS }, (_, index) => buildTaskExecutionRow({ now, startAt: now - index }))
      await opened.storage.insertMany(rows)
      const executorIds = Array.from({ length: PROCESSES }, () => randomExecutorId())
      const workers = executorIds.map((executorId) => startClaimWorker([dialect, url, tableName, executorId]))
      await Promise.all(workers.map((worker) => worker.ready))
      for (const worker of workers) worker.go()
      const claimedByProcess = await Promise.all(workers.map((worker) => worker.claimed))
      const claimed = claimedByProcess.flat()
      expect(claimed).toHaveLength(ROWS)
      expect(new Set(claimed).size).toBe(ROWS)
      const values = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
      expect(values.filter((value) => value?.status !== 'running')).toEqual([])
      for (const [index, executorId] of executorIds.entries()) {
        const ownRows = values.filter((value) => value?.executorId === executorId)
        expect(ownRows.map((value) => value?.executionId).sort()).toEqual([...(claimedByProcess[index] ?? [])].sort())
      }
    }, 120_000)

    it('inserts children for exactly the one of 20 concurrent callers whose update matched', async () => {
      const parent = buildTaskExecutionRow({ status: 'running' })
      await opened.storage.insertMany([parent])
      const childSets = Array.from({ length: 20 }, () =>
        [0, 1].map((index) => buildTaskExecutionRow({ parent: parentLinkTo(parent, { indexInParentChildren: index }) })),
      )
      await Promise.all(
        childSets.map((children, caller) =>
          opened.storage.updateManyByIdAndInsertChildrenIfUpdated([
            {
              executionId: parent.executionId,
              filters: { status: 'running' },
              update: { status: 'waiting_for_children', activeChildrenCount: 2, runOutput: `caller ${caller}`, updatedAt: parent.updatedAt + 1 },
              childrenTaskExecutionsToInsertIfAnyUpdated: children,
            },
          ]),
        ),
      )
      const [after] = await opened.storage.getManyById([{ executionId: parent.executionId }])
      const winner = Number(after?.runOutput?.replace('caller ', ''))
      const [inserted] = await opened.storage.getManyByParentExecutionId([{ parentExecutionId: parent.executionId }])
      expect(after?.status).toBe('waiting_for_children')
      expect(inserted?.map((child) => child.executionId).sort()).toEqual(childSets[winner]?.map((child) => child.executionId).sort())
    })

    it('releases every finished child to its parent exactly once under 8 concurrent close-ready sweeps', async () => {
      const now = Date.now()
      const finished = { status: 'completed', isFinished: true, closeStatus: 'idle' } as const
      // Half the parents are finished themselves, so sweeps also claim parents whose children they release.
      const parents = Array.from({ length: 10 }, (_, index) =>
        buildTaskExecutionRow({ ...(index % 2 === 0 ? { status: 'waiting_for_children' } : { ...finished, status: 'cancelled' }), activeChildrenCount: 30, updatedAt: now - 1000 + index }),
      )
      const children = parents.flatMap((parent) =>
        Array.from({ length: 30 }, (_, index) =>
          buildTaskExecutionRow({ ...finished, parent: parentLinkTo(parent, { indexInParentChildren: index }), updatedAt: now - 500 + index }),
        ),
      )
      await opened.storage.insertMany([...parents, ...children])
      const sweep = () =>
        opened.storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
          isFinished: true,
          closeStatus: 'idle',
          update: { closeStatus: 'ready', updatedAt: now },
          limit: 7,
        })
      const sweeper = async () => {
        let claimed = 0
        for (let count = await sweep(); count > 0; count = await sweep()) claimed += count
        return claimed
      }
      const claimed = await Promise.all(Array.from({ length: 8 }, sweeper))
      expect(claimed.reduce((sum, count) => sum + count, 0)).toBe(children.length + parents.length / 2)
      const after = await opened.storage.getManyById(parents.map((parent) => ({ executionId: parent.executionId })))
      expect(after.map((parent) => parent?.activeChildrenCount)).toEqual(parents.map(() => 0))
      const childrenAfter = await opened.storage.getManyById(children.map((child) => ({ executionId: child.executionId })))
      expect(childrenAfter.filter((child) => child?.closeStatus !== 'ready')).toEqual([])
    })
  })
}
