/**
 * The tree workload of several checkouts in alternating rounds, each run in a fresh child process,
 * for comparing commits on a shared machine (issue 13's target is a ratio within one run):
 *
 *   tsx bench/tree-rounds.ts --trees=/path/to/base,. --backends=postgres,mariadb --rounds=3
 *
 * Each child opens the backend through that checkout's own bench code, runs one warm-up and one
 * measured iteration, and prints its wall and Node CPU milliseconds and its statement count. Round n
 * runs the checkouts in the given order when n is odd and reversed when even; the summary gives
 * medians and their ratio to the first checkout.
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

type Configuration = { set: 'default' | 'tuned'; batching: boolean }

const CONFIGURATIONS: Record<string, Configuration> = {
  'default-on': { set: 'default', batching: true },
  'tuned-on': { set: 'tuned', batching: true },
  'default-off': { set: 'default', batching: false },
  'tuned-off': { set: 'tuned', batching: false },
}

/** The value of `--name=value`, or `fallback`. */
function flag(name: string, fallback: string): string {
  const prefix = `--${name}=`
  return process.argv.find((argument) => argument.startsWith(prefix))?.slice(prefix.length) ?? fallback
}

/** In a child: one warm-up and one measured iteration of `root`'s tree workload; prints what it measured. */
async function runChild(root: string, backend: string, configuration: Configuration): Promise<void> {
  const load = (path: string) => import(pathToFileURL(resolve(root, path)).href)
  const { openBackend } = (await load('bench/backends.ts')) as typeof import('./backends.js')
  const { runTreeIteration, treeSizes } = (await load('bench/workloads/end-to-end.ts')) as typeof import('./workloads/end-to-end.js')
  let measured = ''
  for (let index = 0; index < 2; index++) {
    const opened = await openBackend(backend as Parameters<typeof openBackend>[0])
    try {
      opened.statements.reset()
      const cpuBefore = process.cpuUsage()
      const ms = await runTreeIteration(opened.storage, configuration.set, configuration.batching, treeSizes(false))
      const cpu = process.cpuUsage(cpuBefore)
      measured = `${ms} ${(cpu.user + cpu.system) / 1000} ${opened.statements.snapshot().total}`
    } finally {
      await opened.close()
    }
  }
  // Wall ms, this process's CPU ms (less sensitive to other load than the wall time), statements.
  process.stdout.write(`${measured}\n`)
}

function median(values: ReadonlyArray<number>): number {
  const sorted = [...values].sort((left, right) => left - right)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await runChild(process.argv[3]!, process.argv[4]!, CONFIGURATIONS[process.argv[5]!]!)
    process.exit(0)
  }
  const trees = flag('trees', '.').split(',').map((tree) => resolve(tree))
  const backends = flag('backends', 'postgres,mariadb').split(',')
  const configurations = flag('configurations', 'tuned-on').split(',')
  const rounds = Number(flag('rounds', '3'))
  const times = new Map<string, Array<number>>()
  const cpuTimes = new Map<string, Array<number>>()
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? trees : [...trees].reverse()
    for (const configuration of configurations) {
      for (const backend of backends) {
        for (const tree of order) {
          const output = execFileSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'tree-rounds.ts'), '--child', tree, backend, configuration], {
            cwd: tree,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'inherit'],
          })
          const [ms = NaN, cpuMs = NaN, statements = NaN] = (output.trim().split('\n').at(-1) ?? '').split(' ').map(Number)
          const key = `${backend} | ${configuration} | ${tree}`
          times.set(key, [...(times.get(key) ?? []), ms])
          cpuTimes.set(key, [...(cpuTimes.get(key) ?? []), cpuMs])
          console.log(`round ${round} | ${key} | ${(ms / 1000).toFixed(2)} s | Node CPU ${(cpuMs / 1000).toFixed(2)} s | ${statements} statements`)
        }
      }
    }
  }
  console.log('\nmedians (seconds) and the ratio to the first tree:')
  for (const configuration of configurations) {
    for (const backend of backends) {
      const first = median(times.get(`${backend} | ${configuration} | ${trees[0]}`)!)
      for (const tree of trees) {
        const values = times.get(`${backend} | ${configuration} | ${tree}`)!
        const middle = median(values)
        const all = values.map((value) => (value / 1000).toFixed(2)).join(', ')
        const cpu = median(cpuTimes.get(`${backend} | ${configuration} | ${tree}`)!)
        const firstCpu = median(cpuTimes.get(`${backend} | ${configuration} | ${trees[0]}`)!)
        console.log(
          `${backend} | ${configuration} | ${tree} | median ${(middle / 1000).toFixed(2)} s (${all}) | ${((100 * middle) / first).toFixed(0)} % | Node CPU median ${(cpu / 1000).toFixed(2)} s, ${((100 * cpu) / firstCpu).toFixed(0)} %`,
        )
      }
    }
  }
}

await main()
