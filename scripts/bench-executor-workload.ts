/**
 * A measuring tool (not a test): the spec 5.3 executor workload on the in-memory storage, batching
 * off and on. Each configuration runs one warm-up and three timed rounds and prints their wall
 * times, with the median wall and CPU time (CPU time is the steadier figure on a busy machine).
 *
 * Run with `node --import tsx scripts/bench-executor-workload.ts [off|on]` (both when omitted);
 * add `--cpu-prof` before `--import` to profile.
 */
import {
  DurableExecutor,
  InMemoryTaskExecutionsStorage,
  childTask,
  type DefaultParentTaskOutput,
} from '../src/core/index.js'

const PARENTS = 100
const CHILDREN_PER_PARENT = 50
const SEQUENCES = 100
const LOOPS = 100
const TIMED_ROUNDS = 3

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function assertResult(status: string, actual: unknown, expected: unknown, what: string): void {
  if (status !== 'completed' || JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what} ended ${status} with ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`)
  }
}

type RoundTimes = { wallMs: number; cpuMs: number }

/**
 * Runs the workload once on a fresh storage and returns its wall time and the process CPU time
 * it used, in ms. CPU time is steadier than wall time on a busy machine.
 */
async function runRound(enableStorageBatching: boolean): Promise<RoundTimes> {
  const storage = new InMemoryTaskExecutionsStorage()
  const executor = await DurableExecutor.make(storage, {
    logLevel: 'error',
    backgroundProcessIntraBatchSleepMs: 50,
    enableStorageBatching,
  })
  const child = executor.task({
    id: 'child',
    timeoutMs: 10_000,
    run: async (_ctx, index: number) => {
      await sleep(1)
      return index
    },
  })
  const parent = executor.parentTask({
    id: 'parent',
    timeoutMs: 10_000,
    runParent: async (_ctx, count: number) => {
      await sleep(1)
      return { output: count, children: Array.from({ length: count }, (_, i) => childTask(child, i)) }
    },
    finalize: {
      id: 'parentFinalize',
      timeoutMs: 10_000,
      run: (_ctx, input: DefaultParentTaskOutput<number>) => {
        const completed = input.children.filter((c) => c.status === 'completed').length
        if (completed !== input.output) throw new Error(`${completed} of ${input.output} children completed`)
        return completed
      },
    },
  })
  const single = executor.task({
    id: 'single',
    timeoutMs: 10_000,
    run: async (_ctx, value: number) => {
      await sleep(1)
      return value + 1
    },
  })
  const sequence = executor.sequentialTasks('sequential', [single, single, single, single])
  const iteration = executor.task({
    id: 'iteration',
    timeoutMs: 10_000,
    run: async (_ctx, value: number) => {
      await sleep(1)
      return { isDone: true as const, output: value }
    },
  })
  const looping = executor.loopingTask('looping', iteration, 1000, 100)
  await executor.start()
  try {
    const started = performance.now()
    const cpuAtStart = process.cpuUsage()
    const [parents, sequences, loops] = await Promise.all([
      Promise.all(Array.from({ length: PARENTS }, () => executor.enqueueTask(parent, CHILDREN_PER_PARENT))),
      Promise.all(Array.from({ length: SEQUENCES }, (_, i) => executor.enqueueTask(sequence, i))),
      Promise.all(Array.from({ length: LOOPS }, (_, i) => executor.enqueueTask(looping, i))),
    ])
    for (const handle of parents) {
      const done = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      assertResult(done.status, done.status === 'completed' ? done.output : done.error, CHILDREN_PER_PARENT, 'a parent')
    }
    for (const [i, handle] of sequences.entries()) {
      const done = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      assertResult(done.status, done.status === 'completed' ? done.output : done.error, i + 4, 'a sequence')
    }
    for (const [i, handle] of loops.entries()) {
      const done = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      assertResult(
        done.status,
        done.status === 'completed' ? done.output : done.error,
        { isSuccess: true, output: i },
        'a loop',
      )
    }
    const cpu = process.cpuUsage(cpuAtStart)
    return { wallMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 }
  } finally {
    await executor.shutdown()
  }
}

async function measure(enableStorageBatching: boolean): Promise<void> {
  const label = `batching ${enableStorageBatching ? 'on ' : 'off'}`
  const warmUp = await runRound(enableStorageBatching)
  const rounds: Array<RoundTimes> = []
  for (let round = 0; round < TIMED_ROUNDS; round++) rounds.push(await runRound(enableStorageBatching))
  const format = (ms: number) => `${(ms / 1000).toFixed(3)} s`
  const median = (values: Array<number>) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  console.log(
    `${label}: warm-up ${format(warmUp.wallMs)}; rounds ${rounds.map((r) => format(r.wallMs)).join(', ')}; ` +
      `median ${format(median(rounds.map((r) => r.wallMs)))} wall, ` +
      `${format(median(rounds.map((r) => r.cpuMs)))} CPU`,
  )
}

const which = process.argv[2]
if (which !== 'on') await measure(false)
if (which !== 'off') await measure(true)
