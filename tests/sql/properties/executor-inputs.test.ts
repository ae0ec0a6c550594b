/**
 * Property tests of the executor's public entry points and the table factories (fast-check,
 * `FAST_CHECK_RUNS` cases each, default 1,000): generated executor options, task definitions and
 * table names, with good values and broken ones; and generated task inputs, outputs and thrown
 * values run through real executors on the in-memory storage, SQLite, PostgreSQL and MariaDB at
 * once. Each case either succeeds with an exact round trip, or throws an exported error class
 * naming the bad value; every backend gives the same answer. The case counts are printed.
 */
import { getTableConfig as getMySqlTableConfig } from 'drizzle-orm/mysql-core'
import { getTableConfig as getPgTableConfig } from 'drizzle-orm/pg-core'
import { getTableConfig as getSQLiteTableConfig } from 'drizzle-orm/sqlite-core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DurableExecutionError,
  DurableExecutor,
  InMemoryTaskExecutionsStorage,
  InvalidTableNameError,
  createMySqlTaskExecutionsTable,
  createPgTaskExecutionsTable,
  createSQLiteTaskExecutionsTable,
  type DurableExecutorLogger,
  type TaskExecutionsStorage,
} from '../../../src/index.js'
import * as publicApi from '../../../src/index.js'
import { buildTaskExecutionRow } from '../../../src/testing/index.js'
import { OutcomeTally, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS } from '../../jobs/properties/runs.js'
import { oneBackendPerDialect } from '../available-backends.js'
import { sqliteMemoryBackend, uniqueTableName } from '../backends.js'

const exportedClasses = new Set<unknown>(Object.values(publicApi))
const expectExported = (error: unknown) =>
  expect(exportedClasses.has((error as { constructor?: unknown }).constructor), `${String(error)} is not an exported error class`).toBe(true)

/** A generated value and whether the entry point must accept it. */
type Tagged = { readonly value: unknown; readonly ok: boolean }
const good = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value): Tagged => ({ value, ok: true }))
const bad = (...values: Array<unknown>) => fc.constantFrom(...values).map((value): Tagged => ({ value, ok: false }))
/** Mostly good values, so that cases with every field good are common too. */
const either = (goodValues: fc.Arbitrary<Tagged>, badValues: fc.Arbitrary<Tagged>) =>
  fc.oneof({ arbitrary: goodValues, weight: 5 }, { arbitrary: badValues, weight: 1 })

// --- executor options -------------------------------------------------------------------------

const optionValues: Record<string, fc.Arbitrary<Tagged>> = {
  logLevel: either(good(fc.constantFrom('debug', 'info', 'warn', 'error')), bad('WARN', 'DEBUG', 'trace', 1, {})),
  // Fractions are accepted (as upstream does) and rounded up to whole milliseconds.
  expireLeewayMs: either(good(fc.double({ min: 0, max: 3_600_000, noNaN: true })), bad(-1, Number.NaN, '1000', Number.POSITIVE_INFINITY)),
  backgroundProcessIntraBatchSleepMs: either(good(fc.integer({ min: 1, max: 10_000 })), bad(-5, 0.5, 'fast', [])),
  maxConcurrentTaskExecutions: either(good(fc.integer({ min: 1, max: 1_000 })), bad(0, -1, 2.5, '10')),
  maxTaskExecutionsPerBatch: either(good(fc.integer({ min: 1, max: 200 })), bad(0, -3, Number.NaN)),
  enableStorageBatching: either(good(fc.boolean()), bad('yes', 1, 'true')),
  maxExpiries: either(good(fc.integer({ min: 1, max: 100 })), bad(0, -1, 1.5, 'many')),
}

/** How the executor's messages (the spec's wording) name each task-definition field. */
const FIELD_WORDS: Record<string, ReadonlyArray<string>> = {
  id: ['Task id', 'taskId', 'id'],
  timeoutMs: ['timeoutMs', 'timeout'],
  sleepMsBeforeRun: ['sleepMsBeforeRun'],
  retryOptions: ['retry options', 'retryOptions'],
}

describe(`executor options, task definitions and table names (${PROPERTY_RUNS} generated cases each)`, () => {
  const storage = new InMemoryTaskExecutionsStorage()

  it('makes an executor from good options and refuses bad ones, naming every bad option', async () => {
    const tally = new OutcomeTally()
    await fc.assert(
      fc.asyncProperty(fc.record(optionValues, { requiredKeys: [] }), async (tagged) => {
        const entries = Object.entries(tagged).filter((entry): entry is [string, Tagged] => entry[1] !== undefined)
        const options = Object.fromEntries(entries.map(([name, { value }]) => [name, value]))
        const badNames = entries.filter(([, { ok }]) => !ok).map(([name]) => name)
        const made = await DurableExecutor.make(storage, options).catch((error: unknown) => ({ error }))
        if (made instanceof DurableExecutor) {
          await made.shutdown()
          expect(badNames).toEqual([])
          tally.add('ok')
          return
        }
        expectExported(made.error)
        expect(badNames.length).toBeGreaterThan(0)
        for (const name of badNames) expect((made.error as Error).message).toContain(name)
        expect((made.error as DurableExecutionError).isRetryable).toBe(false)
        tally.add((made.error as Error).constructor.name)
      }),
      { numRuns: PROPERTY_RUNS },
    )
    tally.print('executor options', ['DurableExecutor.make'])
  }, PROPERTY_TIMEOUT_MS)

  it('registers good task definitions and refuses bad ones, naming the bad field', async () => {
    const executor = await DurableExecutor.make(storage, { logLevel: 'error' })
    const tally = new OutcomeTally()
    let serial = 0
    const definition = fc.record({
      id: either(good(fc.stringMatching(/^[A-Za-z0-9_]{1,40}$/)), bad('', 'a b', 'x'.repeat(256), 'tâche', 'a\0', 7, null)),
      timeoutMs: either(good(fc.integer({ min: 1, max: 3_600_000 })), bad(0, -1, 1.5, Number.NaN, '100', null)),
      sleepMsBeforeRun: either(good(fc.double({ min: 0, max: 3_600_000, noNaN: true })), bad(-1, Number.NaN, 'later')),
      retryOptions: either(
        good(fc.record({ maxAttempts: fc.integer({ min: 0, max: 1000 }), baseDelayMs: fc.integer({ min: 0, max: 3_600_000 }) })),
        bad({ maxAttempts: -1 }, { maxAttempts: 1.5 }, { maxAttempts: 3, delayMultiplier: 0 }, 'thrice', { maxAttempts: 'x' }),
      ),
    })
    try {
      await fc.assert(
        fc.asyncProperty(definition, async (tagged) => {
          // Good ids get a serial suffix so that no two cases register the same id.
          const id = tagged.id.ok ? `${tagged.id.value as string}_${serial++}`.slice(-255) : tagged.id.value
          const badFields = Object.entries(tagged).filter(([, { ok }]) => !ok).map(([field]) => field)
          let refusal: unknown
          try {
            executor.task({
              id: id as string,
              timeoutMs: tagged.timeoutMs.value as number,
              sleepMsBeforeRun: tagged.sleepMsBeforeRun.value as number,
              retryOptions: tagged.retryOptions.value as { maxAttempts: number },
              run: () => 'ok',
            })
          } catch (error) {
            refusal = error
          }
          if (refusal === undefined) {
            expect(badFields).toEqual([])
            tally.add('ok')
            return
          }
          expectExported(refusal)
          const message = (refusal as Error).message
          expect(badFields.length, message).toBeGreaterThan(0)
          // The message names one of the bad fields (the first one checked), in the spec's words.
          expect(badFields.some((field) => FIELD_WORDS[field]!.some((words) => message.includes(words))), message).toBe(true)
          tally.add((refusal as Error).constructor.name)
        }),
        { numRuns: PROPERTY_RUNS },
      )
    } finally {
      await executor.shutdown()
    }
    tally.print('task definitions', ['executor.task'])
  }, PROPERTY_TIMEOUT_MS)

  it('declares a table for every name a factory accepts (SQLite creates and uses it), and refuses the others naming them', async () => {
    const tally = new OutcomeTally()
    const name = fc.oneof(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/),
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}\.[A-Za-z_][A-Za-z0-9_]{0,12}$/),
      fc.constantFrom('sqlite_master', 'SQLITE_x', 'pg_catalog.t', 'pg_temp.x', 'information_schema.t', 'public.x', 'a.b.c', 'x-y', 'drop table t;', ''),
      fc.string({ unit: 'binary', maxLength: 30 }),
    )
    const factories = [
      ['PostgreSQL', (tableName: string) => getPgTableConfig(createPgTaskExecutionsTable(tableName)).name],
      ['MySQL', (tableName: string) => getMySqlTableConfig(createMySqlTaskExecutionsTable(tableName)).name],
      ['SQLite', (tableName: string) => getSQLiteTableConfig(createSQLiteTaskExecutionsTable(tableName)).name],
    ] as const
    await fc.assert(
      fc.asyncProperty(name, async (tableName) => {
        for (const [dialect, declare] of factories) {
          try {
            const declared = declare(tableName)
            // The declared table is the name's last part, exactly.
            expect(declared).toBe(tableName.split('.').at(-1))
            expect(declared).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/)
            if (dialect === 'SQLite') await expectUsableSQLiteTable(tableName)
            tally.add(`${dialect} ok`)
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidTableNameError)
            expect((error as Error).message).toContain(JSON.stringify(tableName))
            tally.add(`${dialect} ${(error as Error).constructor.name}`)
          }
        }
      }),
      { numRuns: PROPERTY_RUNS },
    )
    tally.print('table names', ['PostgreSQL, MySQL and SQLite factories'])
  }, PROPERTY_TIMEOUT_MS)
})

/** Creates the table on a fresh in-memory SQLite database and round-trips a row through it. */
async function expectUsableSQLiteTable(tableName: string): Promise<void> {
  const opened = await sqliteMemoryBackend.open(tableName)
  try {
    const row = buildTaskExecutionRow()
    await opened.storage.insertMany([row])
    expect(await opened.storage.getManyById([{ executionId: row.executionId }])).toEqual([row])
  } finally {
    await opened.close()
  }
}

// --- inputs, outputs and thrown values through real executors ---------------------------------

const sqlBackends = await oneBackendPerDialect()

/** Strings of every kind, lone surrogate halves and U+0000 included. */
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('\uD800', 'a\uDC00b', '\0', '😀', ''))

/** Values superjson serializes, nested. */
const payload: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyText,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constantFrom(null, undefined, -0, Number.NaN, Number.POSITIVE_INFINITY),
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(anyText, tie('value'), { maxKeys: 3 }),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
    fc.array(fc.tuple(anyText, tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
  ),
})).value

/** Values a task may throw: errors with any message, and values that are not errors at all. */
const thrown = fc.oneof(
  anyText.map((message) => new Error(message)),
  anyText.map((message) => new TypeError(message)),
  payload,
  fc.constant(Object.create(null) as unknown),
)

type Backend = { readonly name: string; readonly executor: DurableExecutor; close(): Promise<void> }

/**
 * The console, without the line each thrower case writes on purpose (4,000 per run, with stacks,
 * each one a message from the test worker to vitest); every other line is kept.
 */
const logger: DurableExecutorLogger = {
  debug: (message) => console.debug(message),
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message, context) => {
    if (context?.taskId !== 'thrower' || !message.startsWith('Task execution failed for good')) console.error(message)
  },
}

describe(`task inputs, outputs and thrown values on every backend (${PROPERTY_RUNS} generated cases each)`, () => {
  const backends: Array<Backend> = []
  const echo: Array<ReturnType<DurableExecutor['task']>> = []
  const thrower: Array<ReturnType<DurableExecutor['task']>> = []

  beforeAll(async () => {
    const storages: Array<{ name: string; storage: TaskExecutionsStorage; close(): Promise<void> }> = [
      { name: 'in-memory', storage: new InMemoryTaskExecutionsStorage(), close: async () => {} },
    ]
    for (const backend of sqlBackends) {
      const opened = await backend.open(uniqueTableName('te_io'))
      storages.push({ name: backend.name, storage: opened.storage, close: () => opened.close() })
    }
    for (const { name, storage, close } of storages) {
      const executor = await DurableExecutor.make(storage, { logger, logLevel: 'error', maxConcurrentTaskExecutions: 50 })
      echo.push(executor.task({ id: 'echo', timeoutMs: 30_000, run: (_ctx, input: unknown) => input }))
      thrower.push(
        executor.task({
          id: 'thrower',
          timeoutMs: 30_000,
          run: (_ctx, input: { value: unknown }) => {
            throw input.value
          },
        }),
      )
      await executor.start()
      backends.push({ name, executor, close: async () => (await executor.shutdown(), await close()) })
    }
  })
  afterAll(async () => {
    await Promise.all(backends.map((backend) => backend.close()))
  })

  it('returns every input as the output exactly, alike on every backend', async () => {
    const tally = new OutcomeTally()
    await fc.assert(
      fc.asyncProperty(payload, async (input) => {
        const outputs = await Promise.all(
          backends.map(async (backend, index) => {
            const handle = await backend.executor.enqueueTask(echo[index]!, input)
            return handle.waitAndGetFinishedExecution({ pollingIntervalMs: 20 })
          }),
        )
        for (const [index, finished] of outputs.entries()) {
          expect({ backend: backends[index]!.name, status: finished.status }).toEqual({ backend: backends[index]!.name, status: 'completed' })
          expect((finished as { output: unknown }).output).toEqual(input)
        }
        tally.add('ok')
      }),
      { numRuns: PROPERTY_RUNS },
    )
    tally.print('task inputs and outputs', backends.map((backend) => backend.name))
  }, PROPERTY_TIMEOUT_MS)

  it('stores anything a task throws as its failure, the same message on every backend', async () => {
    const tally = new OutcomeTally()
    await fc.assert(
      fc.asyncProperty(thrown, async (value) => {
        const finished = await Promise.all(
          backends.map(async (backend, index) => {
            const handle = await backend.executor.enqueueTask(thrower[index]!, { value })
            return handle.waitAndGetFinishedExecution({ pollingIntervalMs: 20 })
          }),
        )
        const answers = finished.map((execution) => ({ status: execution.status, message: (execution as { error?: { message: string } }).error?.message }))
        for (const answer of answers) expect(answer).toEqual(answers[0])
        expect(answers[0]!.status).toBe('failed')
        expect(typeof answers[0]!.message).toBe('string')
        tally.add(value instanceof Error ? 'Error thrown' : 'non-Error thrown')
      }),
      { numRuns: PROPERTY_RUNS },
    )
    tally.print('thrown values', backends.map((backend) => backend.name))
  }, PROPERTY_TIMEOUT_MS)
})
