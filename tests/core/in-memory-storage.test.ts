/**
 * Behaviour of the in-memory storage beyond the shared conformance suite (spec 5.2 item 62 and
 * the in-memory specifics of spec 2.3): persistence, freed unique ids, limits, copies, error
 * messages, our decrement choice and atomic claims under concurrent callers.
 */
import { describe, expect, it, vi } from 'vitest'

import { DurableExecutionError } from '../../src/core/errors.js'
import { InMemoryTaskExecutionsStorage } from '../../src/core/in-memory-storage.js'
import {
  buildChildRow,
  buildTaskExecutionRow,
  randomSleepingTaskUniqueId,
} from '../../src/testing/index.js'

async function saveToString(storage: InMemoryTaskExecutionsStorage): Promise<string> {
  let saved = ''
  await storage.save((serialized) => {
    saved = serialized
  })
  return saved
}

describe('InMemoryTaskExecutionsStorage save and load', () => {
  it('round-trips every row, unique ids and parent links through save and load', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const parent = buildTaskExecutionRow({
      status: 'completed',
      isFinished: true,
      error: { errorType: 'generic', message: 'earlier', isRetryable: true, isInternal: false },
      children: [],
    })
    const child = buildChildRow(parent)
    const sleeper = buildTaskExecutionRow({ sleepingTaskUniqueId: randomSleepingTaskUniqueId() })
    await storage.insertMany([parent, child, sleeper])

    const saved = await saveToString(storage)
    const restored = new InMemoryTaskExecutionsStorage()
    await restored.load(async () => saved)

    expect(
      await restored.getManyById([parent, child, sleeper].map(({ executionId }) => ({ executionId }))),
    ).toStrictEqual([parent, child, sleeper])
    expect(
      await restored.getManyByParentExecutionId([{ parentExecutionId: parent.executionId }]),
    ).toStrictEqual([[child]])
    expect(
      await restored.getManyBySleepingTaskUniqueId([
        { sleepingTaskUniqueId: sleeper.sleepingTaskUniqueId! },
      ]),
    ).toStrictEqual([sleeper])
    await expect(
      restored.insertMany([
        buildTaskExecutionRow({ sleepingTaskUniqueId: sleeper.sleepingTaskUniqueId }),
      ]),
    ).rejects.toThrow(sleeper.sleepingTaskUniqueId!)
  })

  it.each([
    ['empty input', ''],
    ['whitespace', '  \n'],
    ['input that is not JSON', 'not json {'],
    ['JSON of the wrong shape', JSON.stringify({ json: { rows: 1 } })],
    ['rows without execution ids', JSON.stringify({ json: [{ taskId: 't' }] })],
  ])('loads an empty store from %s, replacing what was there', async (_label, input) => {
    const storage = new InMemoryTaskExecutionsStorage()
    const row = buildTaskExecutionRow()
    await storage.insertMany([row])
    await storage.load(() => input)
    expect(await storage.getManyById([{ executionId: row.executionId }])).toStrictEqual([
      undefined,
    ])
    await storage.insertMany([row])
    expect(await storage.getManyById([{ executionId: row.executionId }])).toStrictEqual([row])
  })

  it('saves an empty store that loads back empty', async () => {
    const saved = await saveToString(new InMemoryTaskExecutionsStorage())
    const restored = new InMemoryTaskExecutionsStorage()
    await restored.load(() => saved)
    expect(await restored.updateByCloseStatusAndReturn({
      closeStatus: 'idle',
      update: { updatedAt: 1 },
      limit: 10,
    })).toStrictEqual([])
  })
})

describe('InMemoryTaskExecutionsStorage rules', () => {
  it('frees a sleeping-task unique id when its row is deleted', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const sleepingTaskUniqueId = randomSleepingTaskUniqueId()
    const first = buildTaskExecutionRow({ sleepingTaskUniqueId })
    await storage.insertMany([first])
    await storage.deleteById({ executionId: first.executionId })
    const second = buildTaskExecutionRow({ sleepingTaskUniqueId })
    await storage.insertMany([second])
    expect(await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId }])).toStrictEqual([
      second,
    ])
  })

  it('returns [] and 0 for limits of zero or less', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const row = buildTaskExecutionRow({ startAt: 0, status: 'completed', isFinished: true })
    await storage.insertMany([row, buildTaskExecutionRow({ status: 'completed', isFinished: true })])
    for (const limit of [0, -1, -100]) {
      expect(
        await storage.updateByCloseStatusAndReturn({
          closeStatus: 'idle',
          update: { closeStatus: 'ready', updatedAt: 1 },
          limit,
        }),
      ).toStrictEqual([])
      expect(
        await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
          isFinished: true,
          closeStatus: 'idle',
          update: { closeStatus: 'ready', updatedAt: 1 },
          limit,
        }),
      ).toBe(0)
    }
    expect(await storage.getManyById([{ executionId: row.executionId }])).toStrictEqual([row])
  })

  it('hands out copies that share no object with its state', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const parent = buildTaskExecutionRow({ children: [{ taskId: 't', executionId: 'te_x' }] })
    const child = buildChildRow(parent)
    await storage.insertMany([parent, child])
    const [first] = await storage.getManyById([{ executionId: parent.executionId }])
    const [second] = await storage.getManyById([{ executionId: parent.executionId }])
    expect(first).toStrictEqual(second)
    expect(first).not.toBe(second)
    expect(first!.children).not.toBe(second!.children)
    expect(first!.children![0]).not.toBe(second!.children![0])
    expect(first!.retryOptions).not.toBe(second!.retryOptions)
    const [[childRead]] = (await storage.getManyByParentExecutionId([
      { parentExecutionId: parent.executionId },
    ])) as [[typeof child]]
    expect(childRead.parent).not.toBe(child.parent)
    expect(childRead.root).not.toBe(child.root)
  })

  it('names the duplicate value in a non-retryable error', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const sleepingTaskUniqueId = randomSleepingTaskUniqueId()
    const row = buildTaskExecutionRow({ sleepingTaskUniqueId })
    await storage.insertMany([row])

    const duplicateId = storage.insertMany([buildTaskExecutionRow({ executionId: row.executionId })])
    await expect(duplicateId).rejects.toBeInstanceOf(DurableExecutionError)
    await expect(duplicateId).rejects.toMatchObject({ isRetryable: false })
    await expect(duplicateId).rejects.toThrow(`executionId ${row.executionId} already exists`)
    await expect(
      storage.insertMany([buildTaskExecutionRow({ sleepingTaskUniqueId })]),
    ).rejects.toThrow(`sleepingTaskUniqueId ${sleepingTaskUniqueId} already exists`)

    const twin = buildTaskExecutionRow()
    await expect(storage.insertMany([twin, { ...twin }])).rejects.toThrow(
      `executionId ${twin.executionId} appears more than once`,
    )
    const otherUniqueId = randomSleepingTaskUniqueId()
    await expect(
      storage.insertMany([
        buildTaskExecutionRow({ sleepingTaskUniqueId: otherUniqueId }),
        buildTaskExecutionRow({ sleepingTaskUniqueId: otherUniqueId }),
      ]),
    ).rejects.toThrow(`sleepingTaskUniqueId ${otherUniqueId} appears more than once`)
  })

  it('applies the other requests of a call when one request cannot insert its children', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const blocked = buildTaskExecutionRow({ status: 'running' })
    const free = buildTaskExecutionRow({ status: 'running' })
    const occupant = buildTaskExecutionRow()
    await storage.insertMany([blocked, free, occupant])
    const freeChild = buildChildRow(free)
    await expect(
      storage.updateManyByIdAndInsertChildrenIfUpdated([
        {
          executionId: blocked.executionId,
          update: { status: 'waiting_for_children', updatedAt: 5 },
          childrenTaskExecutionsToInsertIfAnyUpdated: [
            buildChildRow(blocked, { executionId: occupant.executionId }),
          ],
        },
        {
          executionId: free.executionId,
          update: { status: 'waiting_for_children', updatedAt: 5 },
          childrenTaskExecutionsToInsertIfAnyUpdated: [freeChild],
        },
      ]),
    ).rejects.toThrow(occupant.executionId)
    expect(
      await storage.getManyById([
        { executionId: blocked.executionId },
        { executionId: free.executionId },
        { executionId: freeChild.executionId },
      ]),
    ).toStrictEqual([blocked, { ...free, status: 'waiting_for_children', updatedAt: 5 }, freeChild])
  })
})

describe('InMemoryTaskExecutionsStorage close-ready sweep', () => {
  it('does not decrement the parent for a finalize child (our choice, spec 2.3)', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const parent = buildTaskExecutionRow({ status: 'waiting_for_finalize', activeChildrenCount: 0 })
    const finalize = buildChildRow(parent, {
      status: 'cancelled',
      isFinished: true,
      link: { isFinalizeOfParent: true },
    })
    await storage.insertMany([parent, finalize])
    const claimed = await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
      isFinished: true,
      closeStatus: 'idle',
      update: { closeStatus: 'ready', updatedAt: parent.updatedAt + 10 },
      limit: 10,
    })
    expect(claimed).toBe(1)
    expect(await storage.getManyById([{ executionId: parent.executionId }])).toStrictEqual([parent])
  })

  it('decrements a parent once per claimed child, in one call', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const parent = buildTaskExecutionRow({ status: 'waiting_for_children', activeChildrenCount: 3 })
    const children = [0, 1, 2].map((index) =>
      buildChildRow(parent, {
        status: 'completed',
        isFinished: true,
        link: { indexInParentChildren: index },
      }),
    )
    await storage.insertMany([parent, ...children])
    expect(
      await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
        isFinished: true,
        closeStatus: 'idle',
        update: { closeStatus: 'ready', updatedAt: 42 },
        limit: 10,
      }),
    ).toBe(3)
    expect(await storage.getManyById([{ executionId: parent.executionId }])).toStrictEqual([
      { ...parent, activeChildrenCount: 0, updatedAt: 42 },
    ])
  })
})

describe('InMemoryTaskExecutionsStorage claim order', () => {
  it('claims the rows with the smallest keys first, ties in insertion order, up to the limit', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const now = Date.now()
    // Keys repeat and arrive out of order, so both the key order and the tie-break are exercised.
    const rows = Array.from({ length: 300 }, (_, index) =>
      buildTaskExecutionRow({ now, startAt: now - 1000 + ((index * 37) % 11) }),
    )
    await storage.insertMany(rows)
    const expected = rows
      .map((row, index) => ({ row, index }))
      .sort((a, b) => a.row.startAt - b.row.startAt || a.index - b.index)
      .map(({ row }) => row.executionId)

    const claimedInOrder: Array<string> = []
    for (const limit of [1, 7, 100, 500]) {
      const claimed = await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: now,
        update: { status: 'running', updatedAt: now },
        updateExpiresAtWithStartedAt: now,
        limit,
      })
      claimedInOrder.push(...claimed.map((row) => row.executionId))
    }
    expect(claimedInOrder).toEqual(expected)
  })

  it('claims ready rows by their current startAt after updates move them out of and back into ready', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const now = Date.now()
    const [early, late, cycled] = [0, 1, 2].map(() => buildTaskExecutionRow({ now, startAt: now - 10 }))
    await storage.insertMany([early!, late!, cycled!])
    const claimReady = async () =>
      (
        await storage.updateByStatusAndStartAtLessThanAndReturn({
          status: 'ready',
          startAtLessThan: now,
          update: { status: 'running', updatedAt: now },
          updateExpiresAtWithStartedAt: now,
          limit: 10,
        })
      ).map((row) => row.executionId)

    await storage.updateManyById([
      { executionId: late!.executionId, update: { startAt: now + 1000, updatedAt: now } },
      { executionId: cycled!.executionId, update: { status: 'running', updatedAt: now } },
      { executionId: cycled!.executionId, update: { status: 'ready', startAt: now - 20, updatedAt: now } },
    ])
    expect(await claimReady()).toEqual([cycled!.executionId, early!.executionId])

    await storage.updateManyById([
      { executionId: late!.executionId, update: { startAt: now - 1, updatedAt: now } },
    ])
    expect(await claimReady()).toEqual([late!.executionId])
    expect(await claimReady()).toEqual([])
  })

  it('claims each matching row once for values the executor never asks for', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const now = Date.now()
    const finished = buildTaskExecutionRow({ now, status: 'completed', isFinished: true, closeStatus: 'closing' })
    const active = buildTaskExecutionRow({ now, closeStatus: 'closing' })
    const other = buildTaskExecutionRow({ now })
    await storage.insertMany([finished, active, other])

    const closing = await storage.updateByCloseStatusAndReturn({
      closeStatus: 'closing',
      update: { closeStatus: 'closed', updatedAt: now + 1 },
      limit: 10,
    })
    expect(closing.map((row) => row.executionId).sort()).toEqual(
      [finished.executionId, active.executionId].sort(),
    )
    const completed = await storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn({
      status: 'completed',
      onChildrenFinishedProcessingStatus: 'idle',
      update: { onChildrenFinishedProcessingStatus: 'processed', updatedAt: now + 2 },
      limit: 10,
    })
    expect(completed.map((row) => row.executionId)).toEqual([finished.executionId])
  })

  it('finds rows by their current values after updates move them between statuses', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const now = Date.now()
    const rows = Array.from({ length: 6 }, () => buildTaskExecutionRow({ now, startAt: now - 10 }))
    await storage.insertMany(rows)
    await storage.updateManyById(
      rows.slice(0, 3).map((row) => ({
        executionId: row.executionId,
        update: { status: 'completed' as const, isFinished: true, updatedAt: now },
      })),
    )
    await storage.updateManyById([
      { executionId: rows[0]!.executionId, update: { closeStatus: 'ready', updatedAt: now } },
    ])

    const ready = await storage.updateByStatusAndStartAtLessThanAndReturn({
      status: 'ready',
      startAtLessThan: now,
      update: { updatedAt: now },
      updateExpiresAtWithStartedAt: now,
      limit: 100,
    })
    expect(ready.map((row) => row.executionId)).toEqual(rows.slice(3).map((row) => row.executionId))
    const closeReady = await storage.updateByCloseStatusAndReturn({
      closeStatus: 'ready',
      update: { closeStatus: 'closing', updatedAt: now },
      limit: 100,
    })
    expect(closeReady.map((row) => row.executionId)).toEqual([rows[0]!.executionId])
    const released = await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
      isFinished: true,
      closeStatus: 'idle',
      update: { closeStatus: 'ready', updatedAt: now },
      limit: 100,
    })
    expect(released).toBe(2)
  })
})

describe('InMemoryTaskExecutionsStorage concurrency', () => {
  it('hands each row to exactly one of many concurrent claimers', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const now = Date.now()
    const rows = Array.from({ length: 50 }, (_, index) =>
      buildTaskExecutionRow({ now, startAt: now - 1000 - index }),
    )
    await storage.insertMany(rows)
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, claimer) =>
        storage.updateByStatusAndStartAtLessThanAndReturn({
          status: 'ready',
          startAtLessThan: now,
          update: { status: 'running', executorId: `de_claimer${claimer}`, updatedAt: now },
          updateExpiresAtWithStartedAt: now,
          limit: 3,
        }),
      ),
    )
    const claimedIds = claims.flat().map((row) => row.executionId)
    expect(claimedIds).toHaveLength(50)
    expect(new Set(claimedIds).size).toBe(50)
  })
})

describe('InMemoryTaskExecutionsStorage logAllTaskExecutions', () => {
  it('prints a header with the row count and every row', async () => {
    const storage = new InMemoryTaskExecutionsStorage()
    const row = buildTaskExecutionRow()
    await storage.insertMany([row])
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    try {
      storage.logAllTaskExecutions()
      const printed = log.mock.calls.map((call) => String(call[0])).join('\n')
      expect(printed).toContain('Task executions (1)')
      expect(printed).toContain(row.executionId)
    } finally {
      log.mockRestore()
    }
  })
})
