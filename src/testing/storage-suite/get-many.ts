/** Conformance cases of `getManyById` and `getManyBySleepingTaskUniqueId` (5.1 B cases 14-15). */
import { expect } from 'vitest'

import { expectRowEqual, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { matchingFilters, nonMatchingFilters } from './filters.js'
import {
  buildTaskExecutionRow,
  randomExecutionId,
  randomSleepingTaskUniqueId,
  randomTaskId,
} from './row-builder.js'

/** The read cases, in run order. */
export const getManyCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group: 'getManyById',
    specCase: 14,
    behaviour: 'returns the row when the filters match and undefined otherwise',
    run: async (storage) => {
      const now = Date.now()
      const ready = buildTaskExecutionRow({ now })
      const completed = buildTaskExecutionRow({
        now,
        status: 'completed',
        isFinished: true,
        output: 'completed_output',
        retryAttempts: 1,
        startedAt: now - 2000,
        finishedAt: now - 1000,
        children: [{ taskId: randomTaskId(), executionId: randomExecutionId() }],
        activeChildrenCount: 1,
        closeStatus: 'closing',
        closeExpiresAt: now + 60_000,
      })
      await storage.insertMany([ready, completed])

      for (const row of [ready, completed]) {
        for (const filters of [undefined, { status: undefined }, ...matchingFilters(row)]) {
          const read = await readRow(storage, row.executionId, filters)
          expectRowEqual(read, row)
        }
        for (const filters of nonMatchingFilters(row)) {
          const read = await readRow(storage, row.executionId, filters)
          expect(read, `filters ${JSON.stringify(filters)}`).toBeUndefined()
        }
      }

      expect(await storage.getManyById([{ executionId: randomExecutionId() }])).toStrictEqual([
        undefined,
      ])
      const positional = await storage.getManyById([
        { executionId: completed.executionId },
        { executionId: randomExecutionId() },
        { executionId: ready.executionId, filters: { status: 'ready' } },
        { executionId: ready.executionId, filters: { status: 'completed' } },
      ])
      expect(positional).toHaveLength(4)
      expectRowEqual(positional[0], completed)
      expect(positional[1]).toBeUndefined()
      expectRowEqual(positional[2], ready)
      expect(positional[3]).toBeUndefined()
    },
  },
  {
    group: 'getManyBySleepingTaskUniqueId',
    specCase: 15,
    behaviour: 'finds rows by unique id, one positional result per request',
    run: async (storage) => {
      const first = buildTaskExecutionRow({ sleepingTaskUniqueId: randomSleepingTaskUniqueId() })
      const second = buildTaskExecutionRow({ sleepingTaskUniqueId: randomSleepingTaskUniqueId() })
      const notSleeping = buildTaskExecutionRow()
      await storage.insertMany([first, second, notSleeping])

      const [found] = await storage.getManyBySleepingTaskUniqueId([
        { sleepingTaskUniqueId: first.sleepingTaskUniqueId! },
      ])
      expectRowEqual(found, first)
      expect(
        await storage.getManyBySleepingTaskUniqueId([
          { sleepingTaskUniqueId: randomSleepingTaskUniqueId() },
        ]),
      ).toStrictEqual([undefined])

      const positional = await storage.getManyBySleepingTaskUniqueId([
        { sleepingTaskUniqueId: second.sleepingTaskUniqueId! },
        { sleepingTaskUniqueId: randomSleepingTaskUniqueId() },
        { sleepingTaskUniqueId: first.sleepingTaskUniqueId! },
      ])
      expect(positional).toHaveLength(3)
      expectRowEqual(positional[0], second)
      expect(positional[1]).toBeUndefined()
      expectRowEqual(positional[2], first)
    },
  },
]
