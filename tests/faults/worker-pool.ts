/**
 * The worker processes of a fault scenario: spawns them (`node --import tsx worker.ts`, stderr to
 * a log file per process), SIGKILLs one and starts its replacement, pauses and resumes one with
 * SIGSTOP/SIGCONT, notices a worker that exits on its own (and replaces it), and stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { wallClockMs } from './history.js'
import { WORKER_CONFIG_ENV, type WorkerConfig } from './worker-config.js'

const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url))
const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A worker that exited without being told to: a crash the scenario did not inject. */
export type UnexpectedExit = { pid: number; at: number; code: number | null; signal: string | null }

/** One worker process. */
export type WorkerProcess = {
  readonly pid: number
  readonly slot: number
  /** Printed `ready`: its executor runs. */
  isReady: boolean
  paused: boolean
  /** Set before the scenario kills or stops it, so its exit is not counted as unexpected. */
  expectedExit: boolean
  readonly ready: Promise<void>
  readonly exited: Promise<void>
  readonly child: ChildProcess
}

/** A worker slot gives up after this many workers in a row exit before they are ready. */
const MAX_FAILED_STARTS = 5

/** The running workers of a scenario. */
export type WorkerPool = {
  /** The worker now in each slot. */
  readonly workers: ReadonlyArray<WorkerProcess>
  readonly unexpectedExits: ReadonlyArray<UnexpectedExit>
  /** Resolves once every current worker printed `ready`. */
  allReady(): Promise<void>
  /**
   * SIGKILLs the worker, waits for its exit, starts a replacement in its slot and waits until the
   * replacement is ready (so that faults in a row never leave the scenario without workers);
   * answers when the worker was killed.
   */
  sigkill(worker: WorkerProcess): Promise<number>
  pause(worker: WorkerProcess): void
  resume(worker: WorkerProcess): void
  /** Resumes paused workers, SIGTERMs every worker (SIGKILL after `graceMs`), and waits for them. */
  stop(graceMs?: number): Promise<void>
}

/** Starts `count` workers; `configFor(slot)` configures each (a replacement gets its slot's). */
export function startWorkerPool(count: number, configFor: (slot: number) => WorkerConfig, logDirectory: string): WorkerPool {
  const workers: Array<WorkerProcess> = []
  const unexpectedExits: Array<UnexpectedExit> = []
  const failedStarts = new Array<number>(count).fill(0)
  let stopping = false
  let started = 0

  const launch = (slot: number): WorkerProcess => {
    const log = openSync(join(logDirectory, `worker-slot${slot}-${++started}.log`), 'a')
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_FILE], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(configFor(slot)) },
      stdio: ['ignore', 'pipe', log],
    })
    closeSync(log)
    const ready = new Promise<void>((resolve, reject) => {
      let output = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('ready\n')) {
          worker.isReady = true
          failedStarts[slot] = 0
          resolve()
        }
      })
      child.once('exit', () => reject(new Error(`Worker ${child.pid} exited before it was ready; see ${logDirectory}`)))
    })
    ready.catch(() => undefined)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const worker: WorkerProcess = { pid: child.pid!, slot, isReady: false, paused: false, expectedExit: false, ready, exited, child }
    child.once('exit', (code, signal) => {
      if (worker.expectedExit) return
      unexpectedExits.push({ pid: worker.pid, at: wallClockMs(), code, signal })
      if (!worker.isReady) failedStarts[slot]!++
      if (!stopping && failedStarts[slot]! < MAX_FAILED_STARTS) workers[slot] = launch(slot)
    })
    return worker
  }

  for (let slot = 0; slot < count; slot++) workers.push(launch(slot))

  return {
    workers,
    unexpectedExits,
    async allReady() {
      await Promise.all(workers.map((worker) => worker.ready))
    },
    async sigkill(worker) {
      worker.expectedExit = true
      const at = wallClockMs()
      worker.child.kill('SIGKILL')
      await worker.exited
      if (!stopping && workers[worker.slot] === worker) {
        const replacement = launch(worker.slot)
        workers[worker.slot] = replacement
        await replacement.ready.catch(() => undefined)
      }
      return at
    },
    pause(worker) {
      worker.paused = true
      worker.child.kill('SIGSTOP')
    },
    resume(worker) {
      worker.child.kill('SIGCONT')
      worker.paused = false
    },
    async stop(graceMs = 20_000) {
      stopping = true
      const current = [...workers]
      for (const worker of current) {
        worker.expectedExit = true
        if (worker.paused) worker.child.kill('SIGCONT')
        worker.child.kill('SIGTERM')
      }
      const timer = setTimeout(() => current.forEach((worker) => worker.child.kill('SIGKILL')), graceMs)
      await Promise.all(current.map((worker) => worker.exited))
      clearTimeout(timer)
    },
  }
}
