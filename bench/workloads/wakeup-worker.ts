/**
 * The worker process of the cross-process latency workload: an executor with the default or the
 * tuned options on the given storage, running `latency_probe` executions that print, as one JSON
 * line, the probe's id and the wall-clock time its run started. Prints `ready` once started and
 * runs until it is killed. Arguments: the storage location as JSON (see
 * `tests/sql/fixtures/open-storage.ts`) and the option set (`default` or `tuned`).
 */
import { DurableExecutor } from '../../src/index.js'
import { openStorage, parseStorageLocation } from '../../tests/sql/fixtures/open-storage.js'
import { executorOptions, type OptionSet } from '../executor-options.js'

/** A probe's input: its number and when the enqueuing process called `enqueueTask`. */
export type LatencyProbe = { id: number; enqueuedAt: number }

/** Registers the probe task on `executor`; `onStart` hears of each run as it starts. */
export function registerLatencyProbe(executor: DurableExecutor, onStart: (probe: LatencyProbe, startedAt: number) => void = () => undefined) {
  return executor.task({
    id: 'latency_probe',
    timeoutMs: 30_000,
    run: (_ctx, probe: LatencyProbe) => {
      onStart(probe, Date.now())
      return probe.id
    },
  })
}

if (process.argv[1]?.endsWith('wakeup-worker.ts')) {
  const { storage } = await openStorage(parseStorageLocation(process.argv[2]))
  const executor = await DurableExecutor.make(storage, executorOptions(process.argv[3] as OptionSet, false))
  registerLatencyProbe(executor, (probe, startedAt) => process.stdout.write(`${JSON.stringify({ id: probe.id, startedAt })}\n`))
  await executor.start()
  process.stdout.write('ready\n')
}
