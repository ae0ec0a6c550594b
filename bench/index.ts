/**
 * `pnpm bench [--quick] [--backends=a,b] [--workloads=x,y]`: the benchmark suite of issue 7.
 * Runs the chosen workload groups on the chosen backends and writes `results.json` and
 * `chart.svg` under `bench/results/<timestamp>/`. Benchmarks measure: no time ever fails the run;
 * it exits non-zero only on a real error (a wrong result, a crash, an unreachable server that was
 * asked for explicitly).
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BACKEND_NAMES, closeSharedPglite, probeBackend, type BackendName } from './backends.js'
import type { BenchContext } from './context.js'
import { BenchResults } from './results.js'
import { runDrainWorkload, runSteadyWorkload, runTreeWorkload } from './workloads/end-to-end.js'
import { runJobRunnerWorkload } from './workloads/job-runner.js'
import { runMemoryWorkload } from './workloads/memory.js'
import { runPeerWorkload } from './workloads/peers.js'
import { runStatementWorkload } from './workloads/statements.js'
import { runStorageOpsWorkload } from './workloads/storage-ops.js'

/** Every workload id, in run order, with what it runs. */
const WORKLOADS = {
  'storage-ops': runStorageOpsWorkload,
  'e2e-tree': runTreeWorkload,
  'e2e-drain': runDrainWorkload,
  'e2e-steady': runSteadyWorkload,
  peers: runPeerWorkload,
  statements: runStatementWorkload,
  memory: runMemoryWorkload,
  'job-runner': runJobRunnerWorkload,
} satisfies Record<string, (context: BenchContext) => Promise<void>>

type WorkloadName = keyof typeof WORKLOADS

/** Names accepted for groups of workloads. */
const WORKLOAD_ALIASES: Record<string, ReadonlyArray<WorkloadName>> = {
  e2e: ['e2e-tree', 'e2e-drain', 'e2e-steady'],
  all: Object.keys(WORKLOADS) as Array<WorkloadName>,
}

function usage(problem: string): never {
  console.error(
    `${problem}\nUsage: pnpm bench [--quick] [--backends=${BACKEND_NAMES.join(',')}] ` +
      `[--workloads=${Object.keys(WORKLOADS).join(',')},e2e,all]`,
  )
  process.exit(2)
}

function parseList<T extends string>(value: string, allowed: ReadonlyArray<string>, flag: string): Array<T> {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean)
  for (const item of items) if (!allowed.includes(item)) usage(`Unknown ${flag} value ${JSON.stringify(item)}.`)
  return items as Array<T>
}

function parseArguments(argv: ReadonlyArray<string>) {
  let quick = false
  let backends: Array<BackendName> | undefined
  let workloads: Array<WorkloadName> = WORKLOAD_ALIASES.all!.slice()
  for (const argument of argv) {
    if (argument === '--') continue
    if (argument === '--quick') quick = true
    else if (argument.startsWith('--backends=')) backends = parseList(argument.slice(11), BACKEND_NAMES, '--backends')
    else if (argument.startsWith('--workloads=')) {
      const names = parseList<string>(argument.slice(12), [...Object.keys(WORKLOADS), ...Object.keys(WORKLOAD_ALIASES)], '--workloads')
      workloads = [...new Set(names.flatMap((name) => WORKLOAD_ALIASES[name] ?? [name as WorkloadName]))]
    } else if (argument === '--help' || argument === '-h') usage('')
    else usage(`Unknown argument ${JSON.stringify(argument)}.`)
  }
  return { quick, backends, workloads }
}

const options = parseArguments(process.argv.slice(2))
const results = new BenchResults(options.quick ? 'quick' : 'full', {
  backends: options.backends?.join(',') ?? 'all reachable',
  workloads: options.workloads.join(','),
})

// Servers not asked for explicitly are skipped with a loud line when unreachable.
const backends: Array<BackendName> = []
for (const name of options.backends ?? BACKEND_NAMES) {
  const problem = await probeBackend(name)
  if (problem === undefined) backends.push(name)
  else if (options.backends) results.addError('setup', name, new Error(`unreachable: ${problem}`))
  else console.warn(`!!! backend ${name} is unreachable (${problem}); skipped. Start it (see /work/shared/toolchain.md) or set PG_URL / MYSQL_URL.`)
}

const context: BenchContext = { quick: options.quick, backends, results }
console.log(`bench (${options.quick ? 'quick' : 'full'}): backends ${backends.join(', ')}; workloads ${options.workloads.join(', ')}`)
const runStarted = performance.now()
for (const workload of options.workloads) {
  const started = performance.now()
  console.log(`\n== ${workload}`)
  try {
    await WORKLOADS[workload](context)
  } catch (error) {
    results.addError(workload, 'all', error)
  }
  console.log(`   (${workload} took ${((performance.now() - started) / 1000).toFixed(1)} s)`)
}
await closeSharedPglite()

const directory = results.write(join(dirname(fileURLToPath(import.meta.url)), 'results'))
console.log(`\nDone in ${((performance.now() - runStarted) / 1000).toFixed(1)} s; results in ${directory}`)
if (results.errors.length > 0) {
  console.error(`${results.errors.length} error(s):\n${results.errors.join('\n')}`)
  process.exit(1)
}
process.exit(0)
