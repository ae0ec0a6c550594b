/**
 * A storage object's own notifications on PostgreSQL: its listener skips them (so an executor does
 * not sweep once more for each of its own writes), and it calls its own subscribers in-process
 * instead, so that executors sharing one storage object still wake each other. On MariaDB, whose
 * polled highest id only inserts change, a change is told as an enqueue (only the pickup wakes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DurableExecutor, type TaskExecutionsStorageChange } from '../../src/core/index.js'
import { changeNotificationPayload, parseChangeNotification } from '../../src/common/change-signal.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable } from '../../src/pg.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { mariaDbBackend, postgresBackend, uniqueTableName, type OpenedBackend } from './backends.js'
import { registerWokenTask, WAKEUP_WORKER_OPTIONS } from './fixtures/wakeup-worker.js'
import { reachableServerUrl } from './servers.js'
import type { AnyPgDatabase } from '../../src/pg.js'
import type { AnyMySqlDatabase } from '../../src/mysql.js'

describe('change notification payloads', () => {
  it('carry what changed and the sender, and read anything else as any change from nobody', () => {
    expect(parseChangeNotification(changeNotificationPayload('enqueued', 'te_sender'))).toEqual({ change: 'enqueued', senderId: 'te_sender' })
    expect(parseChangeNotification(changeNotificationPayload(undefined, 'te_sender'))).toEqual({ change: undefined, senderId: 'te_sender' })
    expect(parseChangeNotification(changeNotificationPayload('enqueued', ''))).toEqual({ change: 'enqueued', senderId: undefined })
    expect(parseChangeNotification('')).toEqual({ change: undefined, senderId: undefined })
    expect(parseChangeNotification(undefined)).toEqual({ change: undefined, senderId: undefined })
  })
})

const postgresUrl = await reachableServerUrl('PostgreSQL')

describe.runIf(postgresUrl !== undefined)('own notifications on PostgreSQL', () => {
  const tableName = uniqueTableName('te_own')
  let opened: OpenedBackend<AnyPgDatabase>
  beforeAll(async () => {
    opened = await postgresBackend(postgresUrl!).open(tableName)
  })
  afterAll(async () => {
    await opened.close()
  })

  it('calls its own subscriber once per own enqueue, at once, and hears other storage objects through the database', async () => {
    const other = createPgTaskExecutionsStorage(opened.db, createPgTaskExecutionsTable(tableName))
    const heard: Array<TaskExecutionsStorageChange> = []
    const subscription = await opened.storage.subscribeToChanges((change) => heard.push(change))
    try {
      await opened.storage.insertMany([buildTaskExecutionRow()])
      // In-process, before the insert resolved: no notification round trip.
      expect(heard).toEqual(['enqueued'])
      // Notifications arrive in commit order: once the other object's is heard, this object's own
      // (committed before it) would have been heard too.
      await other.insertMany([buildTaskExecutionRow()])
      await expect.poll(() => heard.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
      expect(heard).toEqual(['enqueued', 'enqueued'])
    } finally {
      await subscription.unsubscribe()
    }
  })

  it('stops calling a subscriber that unsubscribed', async () => {
    const heard: Array<TaskExecutionsStorageChange> = []
    const subscription = await opened.storage.subscribeToChanges((change) => heard.push(change))
    await subscription.unsubscribe()
    await opened.storage.insertMany([buildTaskExecutionRow()])
    expect(heard).toEqual([])
  })

  it('wakes an executor sharing the storage object when another executor enqueues, without a poll', async () => {
    const enqueuer = await DurableExecutor.make(opened.storage, WAKEUP_WORKER_OPTIONS)
    const worker = await DurableExecutor.make(opened.storage, WAKEUP_WORKER_OPTIONS)
    const started: Array<string> = []
    const woken = registerWokenTask(enqueuer, () => undefined)
    registerWokenTask(worker, (executionId) => started.push(executionId))
    await worker.start()
    try {
      const handle = await enqueuer.enqueueTask(woken)
      // The worker polls every 10 minutes: only a wake-up can start the task within the timeout.
      await expect.poll(() => started, { timeout: 20_000 }).toEqual([handle.executionId])
    } finally {
      await worker.shutdown()
      await enqueuer.shutdown()
    }
  })
})

const mariaDbUrl = await reachableServerUrl('MariaDB')

describe.runIf(mariaDbUrl !== undefined)('polled highest id on MariaDB', () => {
  const tableName = uniqueTableName('te_own_version')
  let opened: OpenedBackend<AnyMySqlDatabase>
  let other: OpenedBackend<AnyMySqlDatabase>
  beforeAll(async () => {
    opened = await mariaDbBackend(mariaDbUrl!).open(tableName)
    other = await mariaDbBackend(mariaDbUrl!).open(tableName, undefined, 'reused')
  })
  afterAll(async () => {
    await other?.close()
    await opened?.close()
  })

  it('starts another process\'s tasks at once while this process keeps enqueuing delayed tasks', async () => {
    const local = await DurableExecutor.make(opened.storage, { logLevel: 'error' })
    local.task({ id: 'quick', timeoutMs: 10_000, run: () => 'done' })
    const delayed = local.task({ id: 'delayed', timeoutMs: 10_000, sleepMsBeforeRun: 600_000, run: () => 'later' })
    const elsewhere = await DurableExecutor.make(other.storage, { logLevel: 'error' })
    const quick = elsewhere.task({ id: 'quick', timeoutMs: 10_000, run: () => 'done' })
    await local.start()
    let isProducing = true
    // This process's own inserts change the version all the time; its pickup waits for their startAt.
    const producing = (async () => {
      while (isProducing) {
        await local.enqueueTask(delayed)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    try {
      const tookMs: Array<number> = []
      for (let probe = 0; probe < 5; probe++) {
        const enqueuedAt = Date.now()
        const handle = await elsewhere.enqueueTask(quick)
        await expect
          .poll(async () => (await other.storage.getManyById([{ executionId: handle.executionId, filters: {} }]))[0]?.status, { timeout: 20_000, interval: 10 })
          .toBe('completed')
        tookMs.push(Date.now() - enqueuedAt)
      }
      // A version read every 25 ms starts each within a few of them; without it, each waits for the 3 s sweep-work read.
      expect(tookMs.filter((ms) => ms > 1_500)).toEqual([])
    } finally {
      isProducing = false
      await producing
      await local.shutdown()
      await elsewhere.shutdown()
    }
  })

  it('tells an insert by another connection as an enqueue, so that only the pickup wakes', async () => {
    const heard: Array<TaskExecutionsStorageChange> = []
    const subscription = await opened.storage.subscribeToChanges((change) => heard.push(change))
    try {
      await other.storage.insertMany([buildTaskExecutionRow()])
      await expect.poll(() => heard.length, { timeout: 20_000 }).toBe(1)
      expect(heard).toEqual(['enqueued'])
    } finally {
      await subscription.unsubscribe()
    }
  })
})
