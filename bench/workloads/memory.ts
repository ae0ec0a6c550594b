/**
 * Workload 5, executor process RSS before, during and after a drain of 100,000 tasks (5,000 with
 * `--quick`) on the SQLite file and PostgreSQL, each in a child process of its own.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from '../context.js'
import { runJsonChild } from '../json-child.js'
import { round } from '../stats.js'

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'memory-child.ts')

/** Runs workload 5 on the SQLite file and PostgreSQL when chosen. */
export async function runMemoryWorkload(context: BenchContext): Promise<void> {
  const count = context.quick ? 5_000 : 100_000
  for (const backend of context.backends.filter((name) => name === 'sqlite-file' || name === 'postgres')) {
    try {
      const result = await runJsonChild(CHILD, [backend, String(count)], `memory child for ${backend}`)
      const metrics = Object.fromEntries(Object.entries(result).map(([key, value]) => [key, round(value, 1)]))
      context.results.add({
        workload: 'memory',
        name: `drain of ${count} tasks, tuned options, batching on`,
        backend,
        config: { tasks: count },
        metrics,
        chart: { metric: 'growthAfterFirst1000MiB', unit: 'MiB RSS growth after the first 1,000 tasks, lower is better' },
      })
    } catch (error) {
      context.results.addError('memory', backend, error)
    }
  }
}
