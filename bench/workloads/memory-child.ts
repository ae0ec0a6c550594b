/**
 * Child process of workload 5 (a process of its own, so earlier workloads do not blur the numbers):
 * drains `count` no-op tasks on `backend` with the tuned options and batching on, enqueueing while
 * the executor runs, and reports RSS before, after the first 1,000 tasks, at peak and after, as JSON
 * on stdout's last line. Usage: memory-child.ts <backend> <count>.
 */
import { DurableExecutor } from '../../src/index.js'
import { openBackend, type BackendName } from '../backends.js'
import { executorOptions } from '../executor-options.js'
import { collectGarbage, MiB, rssMiB, samplePeakRss } from '../rss.js'
import { CountdownCounter, forEachConcurrently, sleep } from '../stats.js'
import { trackCompletions } from '../tracking-storage.js'

const [backend, countText] = process.argv.slice(2) as [BackendName, string]
const count = Number(countText)

const opened = await openBackend(backend)
const completed = new CountdownCounter()
const storage = trackCompletions(opened.storage, { onCompleted: () => completed.add() })
const executor = await DurableExecutor.make(storage, executorOptions('tuned', true))
const noop = executor.task({ id: 'noop', timeoutMs: 60_000, run: () => undefined })
await executor.start()
collectGarbage()
const rss = samplePeakRss()
const started = performance.now()
let afterFirstThousand = Number.NaN
void completed.waitFor(Math.min(1000, count), 600_000, 'first tasks').then(() => {
  afterFirstThousand = rssMiB()
})
// Enqueue in blocks so at most a few thousand tasks wait at any time, like a steady producer.
const blocks = Array.from({ length: Math.ceil(count / 1000) }, (_, index) => index)
for (const block of blocks) {
  const size = Math.min(1000, count - block * 1000)
  await forEachConcurrently(Array.from({ length: size }, (_, index) => index), 100, async () => {
    await executor.enqueueTask(noop)
  })
  if (completed.count < block * 1000 - 2000) await completed.waitFor(block * 1000 - 2000, 600_000, 'drained tasks')
}
await completed.waitFor(count, 600_000, 'drained tasks')
const seconds = (performance.now() - started) / 1000
const peak = rss.stop()
const afterBeforeGc = rssMiB()
await executor.shutdown()
collectGarbage()
await sleep(200)
const after = rssMiB()
await opened.close()
console.log(
  JSON.stringify({
    rssBeforeMiB: rss.before,
    rssAfterFirst1000MiB: afterFirstThousand,
    rssPeakMiB: peak,
    rssAtEndMiB: afterBeforeGc,
    rssAfterShutdownAndGcMiB: after,
    growthAfterFirst1000MiB: afterBeforeGc - afterFirstThousand,
    tasksPerSecond: count / seconds,
    heapUsedAfterMiB: process.memoryUsage().heapUsed / MiB,
  }),
)
process.exit(0)
