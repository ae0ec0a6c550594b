/**
 * The faults a scenario injects and how: each kind is one action on a worker process, the
 * database server or the proxy, logged as a fault record (its time window and the process it hit,
 * none for database faults) for the checker.
 */
import type { FaultRecord } from './checker.js'
import type { DatabaseFaults } from './databases.js'
import { wallClockMs } from './history.js'
import { sleep } from './servers/private-server.js'
import type { WorkerPool, WorkerProcess } from './worker-pool.js'

/** The kinds of fault, `none` for a stretch without faults. */
export type FaultKind = 'none' | 'sigkill' | 'pause' | 'restart' | 'connection-kill' | 'proxy-cut' | 'proxy-stall' | 'lost-commit-reply'

/** Faults that need something of the database side. */
export const DATABASE_FAULT_KINDS: ReadonlyArray<FaultKind> = ['restart', 'connection-kill', 'proxy-cut', 'proxy-stall', 'lost-commit-reply']

/** How long the lasting faults last. */
export type FaultDurations = {
  /** SIGSTOP to SIGCONT; longer than a lease, so another worker takes the paused worker's runs over. */
  pauseMs: number
  /** Proxy stall to resume. */
  stallMs: number
  /** How long a restarted database stays down. */
  restartDownMs: number
}

/** What injecting a fault acts on. */
export type FaultTargets = {
  readonly pool: WorkerPool
  readonly database: DatabaseFaults
  readonly durations: FaultDurations
  readonly random: () => number
}

/** A running, ready worker, chosen at random; waits for one when all are starting. */
async function pickWorker(targets: FaultTargets): Promise<WorkerProcess> {
  for (;;) {
    const live = targets.pool.workers.filter((worker) => !worker.paused && !worker.expectedExit && worker.child.exitCode === null)
    const ready = live.filter((worker) => worker.isReady)
    if (ready.length > 0) return ready[Math.floor(targets.random() * ready.length)]!
    if (live.length === 0) throw new Error('No running worker to inject a fault into: every worker exited; see the worker logs')
    await Promise.race(live.map((worker) => worker.ready.catch(() => undefined)))
  }
}

function need<T>(value: T | undefined, kind: FaultKind): T {
  if (value === undefined) throw new Error(`The fault ${kind} does not apply to this database: leave it out of its schedule`)
  return value
}

/**
 * Injects one fault of `kind` (the `index`-th of its kind in the scenario) and returns its record.
 * `lost-commit-reply` is not injected here: it is a rate over a window (see scenario.ts).
 */
export async function injectFault(kind: Exclude<FaultKind, 'none' | 'lost-commit-reply'>, index: number, targets: FaultTargets): Promise<FaultRecord> {
  const from = wallClockMs()
  switch (kind) {
    case 'sigkill': {
      const worker = await pickWorker(targets)
      const at = await targets.pool.sigkill(worker)
      return { kind, from: at, to: at, pid: worker.pid }
    }
    case 'pause': {
      const worker = await pickWorker(targets)
      targets.pool.pause(worker)
      const stoppedAt = wallClockMs()
      await sleep(targets.durations.pauseMs)
      targets.pool.resume(worker)
      // Where a paused process can hold every writer up, the pause hits every process's runs.
      return { kind, from: stoppedAt, to: wallClockMs(), ...(targets.database.pauseStopsEveryWriter ? {} : { pid: worker.pid }) }
    }
    case 'restart':
      // Every other restart is a crash (SIGKILL / immediate shutdown) rather than a clean stop.
      await need(targets.database.restart, kind)({ downMs: targets.durations.restartDownMs, crash: index % 2 === 1 })
      return { kind, from, to: wallClockMs() }
    case 'connection-kill':
      await need(targets.database.killConnections, kind)()
      return { kind, from, to: wallClockMs() }
    case 'proxy-cut':
      need(targets.database.proxy, kind).cutAll()
      return { kind, from, to: wallClockMs() }
    case 'proxy-stall': {
      const proxy = need(targets.database.proxy, kind)
      proxy.stall()
      await sleep(targets.durations.stallMs)
      proxy.resume()
      return { kind, from, to: wallClockMs() }
    }
  }
}
