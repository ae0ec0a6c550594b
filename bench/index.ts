/**
 * `pnpm bench`: micro-benchmarks of the storages, printed as a table. Results worth keeping go in
 * bench/README.md with the machine, date and commit. Benchmarks are not tests: nothing asserts a time.
 */
import { Bench } from 'tinybench'

import {
  InMemoryTaskExecutionsStorage,
  createTaskExecutionStorageValue,
  generateTaskExecutionId,
  type TaskExecutionStorageValue,
} from '../src/index.js'

const PRELOADED_ROW_COUNT = 1_000
const READ_BATCH_SIZE = 100

function makeRows(count: number): Array<TaskExecutionStorageValue> {
  const now = Date.now()
  return Array.from({ length: count }, () =>
    createTaskExecutionStorageValue({
      now,
      taskId: 'benchTask',
      executionId: generateTaskExecutionId(),
      retryOptions: { maxAttempts: 0 },
      sleepMsBeforeRun: 0,
      timeoutMs: 1_000,
      input: '{"json":{"n":1}}',
    }),
  )
}

const insertStorage = new InMemoryTaskExecutionsStorage()
const readStorage = new InMemoryTaskExecutionsStorage()
const preloadedRows = makeRows(PRELOADED_ROW_COUNT)
await readStorage.insertMany(preloadedRows)
const readRequests = preloadedRows
  .slice(0, READ_BATCH_SIZE)
  .map((row) => ({ executionId: row.executionId }))

const bench = new Bench({ name: 'in-memory storage', time: 500 })

/** Rows are made before each iteration (unmeasured), so only the insert is timed. */
function insertManyTask(rowCount: number) {
  let rows: Array<TaskExecutionStorageValue> = []
  return [
    async () => {
      await insertStorage.insertMany(rows)
    },
    {
      beforeEach: () => {
        rows = makeRows(rowCount)
      },
      afterAll: async () => {
        await insertStorage.deleteAll()
      },
    },
  ] as const
}

bench
  .add('insertMany, 1 row', ...insertManyTask(1))
  .add('insertMany, 100 rows', ...insertManyTask(100))
  .add(`getManyById, ${READ_BATCH_SIZE} of ${PRELOADED_ROW_COUNT} rows`, async () => {
    await readStorage.getManyById(readRequests)
  })

await bench.run()
console.log(`${bench.name} (node ${process.version}, ${process.platform}/${process.arch})`)
console.table(bench.table())
