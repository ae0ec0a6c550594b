/**
 * Workload 5, executor process RSS before, during and after a drain of 100,000 tasks (5,000 with
 * `--quick`) on the SQLite file and PostgreSQL, each in a child process of its own.
 */
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from '../context.js'
import { round } from '../stats.js'

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'memory-child.ts')

function runChild(backend: string, count: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [backend, String(count)], { execArgv: [...process.execArgv, '--expose-gc'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const last = output.trim().split('\n').at(-1) ?? ''
      if (code !== 0) reject(new Error(`memory child for ${backend} exited with ${code}: ${output.slice(-2000)}`))
      else {
        try {
          resolve(JSON.parse(last) as Record<string, number>)
        } catch {
          reject(new Error(`memory child for ${backend} printed no result: ${output.slice(-2000)}`))
        }
      }
    })
  })
}

/** Runs workload 5 on the SQLite file and PostgreSQL when chosen. */
export async function runMemoryWorkload(context: BenchContext): Promise<void> {
  const count = context.quick ? 5_000 : 100_000
  for (const backend of context.backends.filter((name) => name === 'sqlite-file' || name === 'postgres')) {
    try {
      const result = await runChild(backend, count)
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
