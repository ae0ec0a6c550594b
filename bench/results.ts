/**
 * The results of one run: records added by the workloads, the machine and commit they ran on,
 * written as `results.json` plus `chart.svg` under `bench/results/<timestamp>/`.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { renderBarChart } from './svg-chart.js'

/** One measured result. */
export type BenchRecord = {
  /** Workload id (`storage-ops`, `e2e-tree`, …). */
  workload: string
  /** What was measured, e.g. `getById, 64 callers, layer batching on`. */
  name: string
  /** Backend or peer. */
  backend: string
  /** The settings that distinguish this record from its neighbours. */
  config?: Record<string, string | number | boolean>
  /** Every number measured. */
  metrics: Record<string, number>
  /** The metric drawn in the chart, with its unit. */
  chart?: { metric: string; unit: string }
  /** Anything a reader must know (e.g. a missed expectation, a sampling caveat). */
  note?: string
}

/** Where the machine and commit come from. */
function commandOutput(command: string, args: Array<string>): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unknown'
  }
}

/** What the run ran on. */
export function describeMachine(): Record<string, string | number> {
  return {
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    kernel: commandOutput('uname', ['-r']),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    commit: commandOutput('git', ['rev-parse', '--short', 'HEAD']),
    treeHasUncommittedChanges: commandOutput('git', ['status', '--porcelain']).length > 0 ? 'yes' : 'no',
  }
}

/** Collects records and writes them. */
export class BenchResults {
  readonly records: Array<BenchRecord> = []
  readonly errors: Array<string> = []
  /** Wall seconds each workload took and the estimate it was given, to keep the time budget honest. */
  readonly workloadSeconds: Record<string, { seconds: number; estimatedSeconds: number }> = {}
  private readonly startedAt = new Date()

  constructor(private readonly mode: 'quick' | 'full', private readonly flags: Record<string, string>) {}

  /** Adds a record and prints it as one line. */
  add(record: BenchRecord): void {
    this.records.push(record)
    const metrics = Object.entries(record.metrics)
      .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
      .join(' ')
    console.log(`  [${record.workload}] ${record.backend} | ${record.name} | ${metrics}${record.note ? ` | ${record.note}` : ''}`)
  }

  /** Records how long a workload took against its estimate. */
  addWorkloadTime(workload: string, seconds: number, estimatedSeconds: number): void {
    this.workloadSeconds[workload] = { seconds: Math.round(seconds * 10) / 10, estimatedSeconds: Math.round(estimatedSeconds) }
  }

  /** Records a real error (a wrong result or a crash); the run exits non-zero at the end. */
  addError(workload: string, backend: string, error: unknown): void {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    this.errors.push(`[${workload}] ${backend}: ${message}`)
    console.error(`  !! [${workload}] ${backend}: ${message}`)
  }

  /** Writes `results.json` and `chart.svg`; returns the directory. */
  write(rootDirectory: string): string {
    const stamp = this.startedAt.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19)
    const directory = join(rootDirectory, `${stamp}${this.mode === 'quick' ? '-quick' : ''}`)
    mkdirSync(directory, { recursive: true })
    const finishedAt = new Date()
    const document = {
      mode: this.mode,
      flags: this.flags,
      startedAt: this.startedAt.toISOString(),
      durationSeconds: Math.round((finishedAt.getTime() - this.startedAt.getTime()) / 100) / 10,
      machine: describeMachine(),
      workloadSeconds: this.workloadSeconds,
      records: this.records,
      errors: this.errors,
    }
    writeFileSync(join(directory, 'results.json'), `${JSON.stringify(document, null, 2)}\n`)
    writeFileSync(
      join(directory, 'chart.svg'),
      renderBarChart(`durable-execution-drizzle bench (${this.mode}), ${document.startedAt.slice(0, 16)}Z, ${String(document.machine.commit)}`, this.records),
    )
    return directory
  }
}
