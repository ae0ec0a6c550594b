/**
 * `pnpm test:chaos`: the full fault-injection forms of tests/faults (20,000 mixed tasks on 4 worker
 * processes per database; 60 SIGKILLs, 10 pauses past the lease, 3 restarts, 60 s of connection
 * kills, proxy cuts and stalls, 1 % lost COMMIT replies) on private PostgreSQL and MariaDB
 * instances and a SQLite WAL file. Prints one line per fault kind and database, writes the counts
 * to tests/faults/REPORT.md, and exits 1 when a fault did damage.
 *
 * Options: --quick (a tenth of the tasks, faults and time), --backends=postgres,mariadb,sqlite,
 * --seed=N (replay the choice of victims), --no-report (print only).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sqliteWalScenarioDatabase } from '../tests/faults/databases.js'
import { FAULT_TIMING, FULL_FILE_SEGMENTS, FULL_SERVER_SEGMENTS, scaleSegments } from '../tests/faults/forms.js'
import { openPrivateServerDatabase, type OpenedScenarioDatabase } from '../tests/faults/private-databases.js'
import { faultDamage, formatReportMarkdown, formatSummaryLine, NO_FAULT_DAMAGE } from '../tests/faults/report.js'
import { runScenario, type ScenarioResult } from '../tests/faults/scenario.js'
import type { FaultSegment } from '../tests/faults/schedule.js'
import { startPrivateMariaDb } from '../tests/faults/servers/private-mariadb.js'
import { startPrivatePostgres } from '../tests/faults/servers/private-postgres.js'

const REPORT_FILE = fileURLToPath(new URL('../tests/faults/REPORT.md', import.meta.url))

type Backend = { name: 'postgres' | 'mariadb' | 'sqlite'; segments: ReadonlyArray<FaultSegment>; open: () => Promise<OpenedScenarioDatabase> }

const BACKENDS: ReadonlyArray<Backend> = [
  { name: 'postgres', segments: FULL_SERVER_SEGMENTS, open: async () => openPrivateServerDatabase(await startPrivatePostgres()) },
  { name: 'mariadb', segments: FULL_SERVER_SEGMENTS, open: async () => openPrivateServerDatabase(await startPrivateMariaDb()) },
  {
    name: 'sqlite',
    segments: FULL_FILE_SEGMENTS,
    open() {
      const folder = mkdtempSync(join(os.tmpdir(), 'de-faults-sqlite-'))
      const close = () => Promise.resolve(rmSync(folder, { recursive: true, force: true }))
      return Promise.resolve({ database: sqliteWalScenarioDatabase(join(folder, 'chaos.sqlite')), close })
    },
  },
]

function option(name: string): string | undefined {
  const prefix = `--${name}=`
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length)
}

function describeMachine(): string {
  const cpus = os.cpus()
  // The machines are shared: the load when the run began says how busy the CPUs were.
  const load = os.loadavg()[0]!.toFixed(1)
  return `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, load average ${load} at the start`
}

function describeTiming(): string {
  const { timing, expireLeewayMs, durations } = FAULT_TIMING
  return `task timeout ${timing.timeoutMs} ms + expireLeewayMs ${expireLeewayMs} ms; runs up to ${timing.maxRunMs} ms (slow tasks ${timing.maxRunMs * 4} ms); pauses ${durations.pauseMs} ms, stalls ${durations.stallMs} ms, restarts down ${durations.restartDownMs} ms`
}

function describeCommit(): string {
  const git = (...args: Array<string>) => execFileSync('git', args, { encoding: 'utf8' }).trim()
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' (src/ modified)' : ''}`
  } catch {
    return 'unknown'
  }
}

const quick = process.argv.includes('--quick')
const factor = quick ? 0.1 : 1
const chosen = (option('backends') ?? 'postgres,mariadb,sqlite').split(',')
const seedOption = option('seed')
const startedAt = Date.now()
const machine = describeMachine()
const results: Array<ScenarioResult> = []
for (const backend of BACKENDS.filter((candidate) => chosen.includes(candidate.name))) {
  const { database, close } = await backend.open()
  try {
    const result = await runScenario({
      database,
      tasks: Math.round(20_000 * factor),
      workers: 4,
      segments: scaleSegments(backend.segments, factor),
      ...FAULT_TIMING,
      quietLimitMs: 60_000,
      ...(seedOption ? { seed: Number(seedOption) } : {}),
      log: (line) => console.log(line),
    })
    for (const summary of result.kinds) console.log(formatSummaryLine(summary))
    for (const line of result.problems) console.log(`  ${line}`)
    results.push(result)
  } finally {
    await close()
  }
}

if (!process.argv.includes('--no-report')) {
  const command = `pnpm test:chaos ${process.argv.slice(2).join(' ')}`.trim()
  writeFileSync(REPORT_FILE, formatReportMarkdown(results, { date: new Date().toISOString(), commit: describeCommit(), machine, command, durationMs: Date.now() - startedAt, timing: describeTiming() }))
  console.log(`[faults] report written to ${REPORT_FILE}`)
}
const damaged = results.filter((result) => JSON.stringify(faultDamage(result)) !== JSON.stringify(NO_FAULT_DAMAGE))
process.exit(damaged.length === 0 ? 0 : 1)
