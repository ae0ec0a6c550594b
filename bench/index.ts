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
import { runCrossProcessWorkload } from './workloads/cross-process.js'
import { runEtlWorkload } from './workloads/etl.js'
import { runDrainWorkload, runSteadyWorkload, runTreeWorkload } from './workloads/end-to-end.js'
import { runJobClaimsWorkload } from './workloads/job-claims.js'
import { runJobRunnerWorkload } from './workloads/job-runner.js'
import { runMemoryWorkload } from './workloads/memory.js'
import { runPeerWorkload } from './workloads/peers.js'
import { runRecoveryWorkload } from './workloads/recovery.js'
import { runIdleWorkload, runStatementWorkload } from './workloads/statements.js'
import { runStorageOpsWorkload } from './workloads/storage-ops.js'

/** Seconds one workload took per backend on the 2-core bench machine: `[full mode, quick mode]`. */
type SecondsPerBackend = Partial<Record<BackendName, readonly [full: number, quick: number]>>

/**
 * Every workload id, in run order, with what it runs and what it took per backend when measured
 * alone (2026-11-25, 2 cores, nothing else running; `e2e-tree` as three times its one-iteration run). The
 * printed estimate sums them over the chosen backends, so a run shows up front whether it fits the
 * 20-minute budget of issue 7; re-measure after changing a workload's size.
 */
const WORKLOADS = {
  'storage-ops': {
    run: runStorageOpsWorkload,
    seconds: { memory: [8, 1], 'sqlite-memory': [9, 1], 'sqlite-file': [9, 1], pglite: [18, 6], postgres: [11, 2], mariadb: [12, 2] },
  },
  'e2e-tree': {
    run: runTreeWorkload,
    seconds: { memory: [5, 0.3], 'sqlite-memory': [22, 1], 'sqlite-file': [28, 1], pglite: [95, 6], postgres: [45, 2], mariadb: [42, 2] },
  },
  'e2e-drain': {
    run: runDrainWorkload,
    seconds: { memory: [2, 0.3], 'sqlite-memory': [10, 1], 'sqlite-file': [13, 1], pglite: [51, 5], postgres: [36, 2], mariadb: [31, 2] },
  },
  'e2e-steady': { run: runSteadyWorkload, seconds: { 'sqlite-file': [61, 7], postgres: [61, 7] } },
  peers: { run: runPeerWorkload, seconds: { postgres: [124, 5] } },
  statements: {
    run: runStatementWorkload,
    // The idle part waits 15 + 60 s per backend (2 + 5 s quick): added to the measured rest.
    seconds: { 'sqlite-memory': [77, 5], 'sqlite-file': [78, 5], pglite: [87, 10], postgres: [98, 21], mariadb: [81, 5] },
  },
  idle: { run: runIdleWorkload, seconds: { 'sqlite-memory': [76, 8], 'sqlite-file': [76, 8], pglite: [76, 8], postgres: [76, 8], mariadb: [76, 8] } },
  memory: { run: runMemoryWorkload, seconds: { 'sqlite-file': [43, 2], postgres: [29, 2] } },
  'cross-process': { run: runCrossProcessWorkload, seconds: { 'sqlite-file': [28, 8], postgres: [28, 8], mariadb: [28, 8] } },
  recovery: { run: runRecoveryWorkload, seconds: { 'sqlite-file': [30, 16], postgres: [30, 16], mariadb: [30, 16] } },
  etl: {
    run: runEtlWorkload,
    // Not measured alone yet: from the recorded ETL run (bench/README.md) at 100,000 rows.
    seconds: { 'sqlite-memory': [30, 3], 'sqlite-file': [30, 3], pglite: [200, 20], postgres: [60, 6], mariadb: [60, 6] },
  },
  'job-runner': {
    run: runJobRunnerWorkload,
    seconds: { 'sqlite-memory': [3, 1], 'sqlite-file': [4, 1], pglite: [12, 4], postgres: [6, 2], mariadb: [6, 2] },
  },
  // Not measured alone yet (measured on a loaded machine: see bench/README.md): estimates.
  'job-claims': {
    run: runJobClaimsWorkload,
    seconds: { 'sqlite-memory': [4, 1], 'sqlite-file': [6, 2], pglite: [15, 4], postgres: [8, 2], mariadb: [8, 2] },
  },
} satisfies Record<string, { run: (context: BenchContext) => Promise<void>; seconds: SecondsPerBackend }>

type WorkloadName = keyof typeof WORKLOADS

/** Names accepted for groups of workloads. */
const WORKLOAD_ALIASES: Record<string, ReadonlyArray<WorkloadName>> = {
  e2e: ['e2e-tree', 'e2e-drain', 'e2e-steady'],
  // `idle` is a part of `statements`, runnable alone.
  all: (Object.keys(WORKLOADS) as Array<WorkloadName>).filter((name) => name !== 'idle'),
}

function usage(problem: string): never {
  console.error(
    `${problem}\nUsage: pnpm bench [--quick] [--backends=${BACKEND_NAMES.join(',')}] ` +
      `[--workloads=${Object.keys(WORKLOADS).join(',')},e2e,all] [--etl-rows=100000,1000000]`,
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
  let etlRows: Array<number> | undefined
  for (const argument of argv) {
    if (argument === '--') continue
    if (argument === '--quick') quick = true
    else if (argument.startsWith('--backends=')) backends = parseList(argument.slice(11), BACKEND_NAMES, '--backends')
    else if (argument.startsWith('--workloads=')) {
      const names = parseList<string>(argument.slice(12), [...Object.keys(WORKLOADS), ...Object.keys(WORKLOAD_ALIASES)], '--workloads')
      workloads = [...new Set(names.flatMap((name) => WORKLOAD_ALIASES[name] ?? [name as WorkloadName]))]
    } else if (argument.startsWith('--etl-rows=')) {
      etlRows = argument.slice(11).split(',').map(Number)
      if (!etlRows.every((rows) => Number.isSafeInteger(rows) && rows > 0)) usage(`--etl-rows takes positive integers, e.g. --etl-rows=100000,1000000.`)
    } else if (argument === '--help' || argument === '-h') usage('')
    else usage(`Unknown argument ${JSON.stringify(argument)}.`)
  }
  return { quick, backends, workloads, etlRows }
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

/** The seconds `workload` is expected to take on the chosen backends. */
function estimateSeconds(workload: WorkloadName): number {
  const perBackend: SecondsPerBackend = WORKLOADS[workload].seconds
  return backends.reduce((sum, backend) => sum + (perBackend[backend]?.[options.quick ? 1 : 0] ?? 0), 0)
}

const context: BenchContext = { quick: options.quick, backends, results, etlRows: options.etlRows }
const estimates = options.workloads.map((workload) => [workload, estimateSeconds(workload)] as const)
const estimatedTotal = estimates.reduce((sum, [, seconds]) => sum + seconds, 0)
console.log(`bench (${options.quick ? 'quick' : 'full'}): backends ${backends.join(', ')}; workloads ${options.workloads.join(', ')}`)
console.log(
  `estimate: ${estimates.map(([workload, seconds]) => `${workload} ${Math.round(seconds)} s`).join(', ')}; ` +
    `total ${(estimatedTotal / 60).toFixed(1)} min (2-core machine, nothing else running)`,
)
const runStarted = performance.now()
for (const [workload, estimate] of estimates) {
  const started = performance.now()
  console.log(`\n== ${workload} (estimate ${Math.round(estimate)} s)`)
  try {
    await WORKLOADS[workload].run(context)
  } catch (error) {
    results.addError(workload, 'all', error)
  }
  const seconds = (performance.now() - started) / 1000
  results.addWorkloadTime(workload, seconds, estimate)
  console.log(`   (${workload} took ${seconds.toFixed(1)} s, estimate ${Math.round(estimate)} s)`)
}
await closeSharedPglite()

const directory = results.write(join(dirname(fileURLToPath(import.meta.url)), 'results'))
console.log(`\nDone in ${((performance.now() - runStarted) / 1000).toFixed(1)} s (estimate ${Math.round(estimatedTotal)} s); results in ${directory}`)
if (results.errors.length > 0) {
  console.error(`${results.errors.length} error(s):\n${results.errors.join('\n')}`)
  process.exit(1)
}
process.exit(0)
