/**
 * Property test of the task-executions storages called directly (fast-check, `FAST_CHECK_RUNS`
 * cases, default 1,000): generated calls of every kind, with good values and with one value broken
 * (a wrong type, a number out of range or not whole, an unknown or wrongly cased status, an empty,
 * too long, NUL-holding or lone-surrogate string, a JSON column given a bare string), run on the
 * in-memory storage, SQLite, PostgreSQL and MariaDB at once. Every backend must give the same
 * answer (the same result, or the same exported error class naming the same field); a refused call
 * must leave every row as it was; a successful insert must read back exactly. The counts are printed.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  InMemoryTaskExecutionsStorage,
  InvalidStorageValueError,
  type TaskExecutionsStorage,
  type TaskExecutionStorageValue,
} from '../../../src/core/index.js'
import * as publicApi from '../../../src/index.js'
import { buildTaskExecutionRow } from '../../../src/testing/index.js'
import { OutcomeTally, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS } from '../../jobs/properties/runs.js'
import { oneBackendPerDialect } from '../available-backends.js'
import { uniqueTableName, type OpenedBackend } from '../backends.js'

const NOW = 1_700_000_000_000

type Backend = { readonly name: string; readonly storage: TaskExecutionsStorage; close(): Promise<void> }

const sqlBackends = await oneBackendPerDialect()

// --- generated values ---------------------------------------------------------------------------

/** Ids from a small pool, so calls meet rows that earlier calls inserted (and duplicates happen). */
const poolId = fc.constantFrom('te_a', 'te_b', 'te_c', 'te_D', 'te_d', 'te_d ', 'te_é')
const uniqueIdOf = fc.constantFrom('key', 'Key', 'key ', 'kéy')

/** Bad values, by the kind of field they break. */
const badIdentifier = fc.constantFrom<unknown>('', 'x'.repeat(256), 'a\0b', 'a\uD800b', 0, 1.5, null, true, {}, ['te_a'])
const badPayload = fc.constantFrom<unknown>('a\0b', '\uDC00', 0, null, { json: true }, false)
const badStatus = fc.constantFrom<unknown>('COMPLETED', 'Ready', 'ready ', 'unknown', '', 0, null)
const badFlag = fc.constantFrom<unknown>('bogus', 'true', 1, 0, null, 'false')
const badCount = fc.constantFrom<unknown>(-1, 1.5, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY, '3', null)
const badMilliseconds = fc.constantFrom<unknown>(1.5, Number.NaN, 2 ** 53, '1000', null, Number.NEGATIVE_INFINITY)
const badJson = fc.constantFrom<unknown>('', '{}', 'null', 0, [], null)

type Corruption = { readonly path: ReadonlyArray<string>; readonly value: unknown } | undefined

const valueCorruption: fc.Arbitrary<Corruption> = fc.option(
  fc.oneof(
    fc.record({ path: fc.constantFrom(['taskId'], ['executionId'], ['sleepingTaskUniqueId'], ['executorId'], ['root', 'taskId'], ['leaseToken']), value: badIdentifier }),
    fc.record({ path: fc.constantFrom(['input'], ['output'], ['runOutput']), value: badPayload }),
    fc.record({ path: fc.constantFrom(['status'], ['closeStatus'], ['onChildrenFinishedProcessingStatus']), value: badStatus }),
    fc.record({ path: fc.constantFrom(['isFinished'], ['isSleepingTask'], ['needsPromiseCancellation'], ['areChildrenSequential']), value: badFlag }),
    fc.record({ path: fc.constantFrom(['retryAttempts'], ['activeChildrenCount'], ['retryOptions', 'maxAttempts'], ['expiryCount']), value: badCount }),
    fc.record({ path: fc.constantFrom(['startAt'], ['timeoutMs'], ['createdAt'], ['expiresAt']), value: badMilliseconds }),
    fc.record({ path: fc.constantFrom(['error'], ['retryOptions'], ['finalize'], ['children']), value: badJson }),
    fc.record({ path: fc.constant(['error', 'message']), value: fc.constantFrom<unknown>('\uD800', 7, null) }),
  ),
  { freq: 2 },
)

const goodValue = fc
  .record({
    executionId: poolId,
    status: fc.constantFrom('ready', 'running', 'completed'),
    startAt: fc.integer({ min: NOW - 10, max: NOW + 10 }),
    input: fc.string({ unit: 'grapheme', maxLength: 8 }),
    withUniqueId: fc.option(uniqueIdOf, { freq: 3 }),
    withError: fc.option(fc.string({ unit: 'binary', maxLength: 6 }).map((text) => text.replace(/[\uD800-\uDFFF]/g, '')), { freq: 3 }),
    withChildren: fc.boolean(),
  })
  .map((fields) =>
    buildTaskExecutionRow({
      now: NOW,
      taskId: 'task',
      executionId: fields.executionId,
      status: fields.status as TaskExecutionStorageValue['status'],
      startAt: fields.startAt,
      input: fields.input,
      sleepingTaskUniqueId: fields.withUniqueId ?? undefined,
      isSleepingTask: fields.withUniqueId !== null,
      error: fields.withError === null ? undefined : { errorType: 'generic', message: fields.withError, isRetryable: true, isInternal: false },
      children: fields.withChildren ? [{ taskId: 'child', executionId: 'te_child' }] : undefined,
    }),
  )

const goodUpdate = fc.record({
  status: fc.constantFrom('ready', 'running', 'completed', 'failed'),
  output: fc.string({ unit: 'grapheme', maxLength: 8 }),
  updatedAt: fc.integer({ min: NOW, max: NOW + 1000 }),
})

const updateCorruption: fc.Arbitrary<Corruption> = fc.option(
  fc.oneof(
    fc.record({ path: fc.constantFrom(['status'], ['closeStatus']), value: badStatus }),
    fc.record({ path: fc.constantFrom(['output'], ['runOutput']), value: badPayload }),
    fc.record({ path: fc.constantFrom(['isFinished'], ['needsPromiseCancellation']), value: badFlag }),
    fc.record({ path: fc.constantFrom(['retryAttempts'], ['activeChildrenCount']), value: badCount }),
    fc.record({ path: fc.constantFrom(['startAt'], ['updatedAt'], ['finishedAt']), value: badMilliseconds }),
    fc.record({ path: fc.constantFrom(['error'], ['children'], ['finalize']), value: badJson }),
    fc.record({ path: fc.constantFrom(['executorId'], ['leaseToken']), value: badIdentifier }),
  ),
  { freq: 2 },
)

const filters = fc.option(
  fc.record(
    {
      status: fc.oneof(fc.constantFrom<unknown>('ready', 'running', 'completed'), badStatus),
      isFinished: fc.oneof(fc.boolean() as fc.Arbitrary<unknown>, badFlag),
    },
    { requiredKeys: [] },
  ),
  { freq: 2 },
)

type Call =
  | { readonly type: 'insertMany'; readonly values: Array<TaskExecutionStorageValue>; readonly corruption: Corruption }
  | { readonly type: 'getManyById'; readonly ids: Array<unknown>; readonly filters: unknown }
  | { readonly type: 'getManyBySleepingTaskUniqueId'; readonly keys: Array<unknown> }
  | { readonly type: 'updateManyById'; readonly id: unknown; readonly filters: unknown; readonly update: object; readonly corruption: Corruption }
  | { readonly type: 'claimReady'; readonly limit: unknown; readonly status: unknown }

const callOfType = {
  insertMany: fc.record({ type: fc.constant('insertMany' as const), values: fc.array(goodValue, { minLength: 1, maxLength: 3 }), corruption: valueCorruption }),
  getManyById: fc.record({ type: fc.constant('getManyById' as const), ids: fc.array(fc.oneof(poolId, poolId, badIdentifier), { minLength: 1, maxLength: 3 }), filters }),
  getManyBySleepingTaskUniqueId: fc.record({
    type: fc.constant('getManyBySleepingTaskUniqueId' as const),
    keys: fc.array(fc.oneof(uniqueIdOf, uniqueIdOf, badIdentifier), { minLength: 1, maxLength: 3 }),
  }),
  updateManyById: fc.record({ type: fc.constant('updateManyById' as const), id: fc.oneof(poolId, poolId, badIdentifier), filters, update: goodUpdate, corruption: updateCorruption }),
  claimReady: fc.record({
    type: fc.constant('claimReady' as const),
    limit: fc.oneof(fc.constant<unknown>(1000), fc.constant<unknown>(1000), badCount),
    status: fc.oneof(fc.constant<unknown>('ready'), fc.constant<unknown>('ready'), badStatus),
  }),
} satisfies Record<Call['type'], fc.Arbitrary<Call>>

/** One call of every entry point in a shuffled order (so each gets every case), then a few more of any. */
const entryPoints: ReadonlyArray<fc.Arbitrary<Call>> = Object.values(callOfType)
const calls: fc.Arbitrary<Array<Call>> = fc
  .tuple(
    fc.tuple(...entryPoints),
    fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: entryPoints.length }),
    fc.array(fc.oneof(...entryPoints), { maxLength: 3 }),
  )
  .map(([one, order, extra]) => [...order.map((index) => one[index]!), ...extra])

// --- running a call -----------------------------------------------------------------------------

function corrupt<T extends object>(value: T, corruption: Corruption): T {
  if (!corruption) return value
  const copy = structuredClone(value) as Record<string, unknown>
  let target = copy
  for (const key of corruption.path.slice(0, -1)) {
    target[key] = { ...(target[key] ?? { taskId: 'task', executionId: 'te_root' }) }
    target = target[key] as Record<string, unknown>
  }
  target[corruption.path.at(-1)!] = corruption.value
  return copy as T
}

/** The calls that change rows when they succeed. */
const WRITES = new Set<Call['type']>(['insertMany', 'updateManyById', 'claimReady'])

const IDS = ['te_a', 'te_b', 'te_c', 'te_D', 'te_d', 'te_d ', 'te_é', 'te_child']

async function perform(storage: TaskExecutionsStorage, generated: Call): Promise<unknown> {
  switch (generated.type) {
    case 'insertMany': {
      const values = generated.values.map((value, index) => (index === 0 ? corrupt(value, generated.corruption) : value))
      await storage.insertMany(values)
      // An insert that succeeds reads back exactly what was given.
      const read = await storage.getManyById(values.map((value) => ({ executionId: value.executionId })))
      expect(read).toEqual(values)
      return 'inserted'
    }
    case 'getManyById':
      return storage.getManyById(generated.ids.map((id) => ({ executionId: id as string, filters: generated.filters as never })))
    case 'getManyBySleepingTaskUniqueId':
      return storage.getManyBySleepingTaskUniqueId(generated.keys.map((key) => ({ sleepingTaskUniqueId: key as string })))
    case 'updateManyById':
      return storage.updateManyById([
        { executionId: generated.id as string, filters: generated.filters as never, update: corrupt(generated.update, generated.corruption) as never },
      ])
    case 'claimReady': {
      const claimed = await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: generated.status as 'ready',
        startAtLessThan: NOW + 1_000_000,
        update: { status: 'running', executorId: 'executor', startedAt: NOW, updatedAt: NOW },
        updateExpiresAtWithStartedAt: NOW,
        limit: generated.limit as number,
      })
      return claimed.sort((a, b) => a.executionId.localeCompare(b.executionId))
    }
  }
}

const exportedClasses = new Set<unknown>(Object.values(publicApi))

type Answer = { readonly ok: unknown } | { readonly error: string; readonly field?: string }

async function answerOf(backend: Backend, generated: Call): Promise<Answer> {
  try {
    return { ok: await perform(backend.storage, generated) }
  } catch (error) {
    const errorClass = (error as { constructor?: unknown }).constructor
    expect(exportedClasses.has(errorClass), `${backend.name}: ${String(error)} is not an exported error class`).toBe(true)
    if (error instanceof InvalidStorageValueError) {
      expect((error as Error).message).toContain(error.field)
      return { error: 'InvalidStorageValueError', field: error.field }
    }
    return { error: (errorClass as { name: string }).name }
  }
}

/** Every row the calls can reach, as text that changes when any value does. */
async function checksum(storage: TaskExecutionsStorage): Promise<string> {
  return JSON.stringify(await storage.getManyById(IDS.map((executionId) => ({ executionId }))))
}

/** The checksum of a table without rows. */
const EMPTY_CHECKSUM = JSON.stringify(IDS.map(() => undefined))

// --- the property -------------------------------------------------------------------------------

describe('storage calls with generated values agree on every backend', () => {
  const backends: Array<Backend> = []

  beforeAll(async () => {
    backends.push({ name: 'in-memory', storage: new InMemoryTaskExecutionsStorage(), close: async () => {} })
    for (const backend of sqlBackends) {
      const opened: OpenedBackend<unknown> = await backend.open(uniqueTableName('te_prop'), { enableTestMode: true })
      backends.push({ name: backend.name, storage: opened.storage, close: () => opened.close() })
    }
  })
  afterAll(async () => {
    await Promise.all(backends.map((backend) => backend.close()))
  })

  it(`gives the same answer on every backend, refusing bad values before any write (${PROPERTY_RUNS} cases)`, async () => {
    const tally = new OutcomeTally()
    const perEntryPoint = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(calls, async (generatedCalls) => {
        await Promise.all(backends.map(async (backend) => backend.storage.deleteAll()))
        // The rows as last known, read again only after a successful write: deleteAll leaves none, a
        // read or a refused call leaves them as they were, and a later refusal is compared against
        // them (so a deleteAll that kept rows, or a read that wrote, fails it too).
        let before: Array<string> | undefined = backends.map(() => EMPTY_CHECKSUM)
        for (const generated of generatedCalls) {
          before ??= await Promise.all(backends.map((backend) => checksum(backend.storage)))
          const answers = await Promise.all(backends.map((backend) => answerOf(backend, generated)))
          for (const [index, backend] of backends.entries()) {
            expect({ backend: backend.name, answer: answers[index] }).toEqual({ backend: backend.name, answer: answers[0] })
          }
          const first = answers[0]!
          tally.add('ok' in first ? `${generated.type} ok` : `${generated.type} ${first.error}`)
          perEntryPoint.set(generated.type, (perEntryPoint.get(generated.type) ?? 0) + 1)
          if ('error' in first) {
            const after = await Promise.all(backends.map((backend) => checksum(backend.storage)))
            expect(after).toEqual(before)
          } else if (WRITES.has(generated.type)) {
            before = undefined
          }
        }
      }),
      { numRuns: PROPERTY_RUNS },
    )
    tally.print('storage calls', backends.map((backend) => backend.name))
    // Every entry point met at least one generated call per case (shrinking runs add more).
    for (const type of Object.keys(callOfType)) expect(perEntryPoint.get(type) ?? 0).toBeGreaterThanOrEqual(PROPERTY_RUNS)
  }, PROPERTY_TIMEOUT_MS)
})
