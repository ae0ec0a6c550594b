/**
 * Cross-process wake-ups (beyond upstream): when the storage has a change signal
 * (`subscribeToChanges`: LISTEN/NOTIFY on PostgreSQL, a watched file on SQLite, a polled counter
 * on MySQL), work another process makes ready wakes this executor's loops at once, and polling
 * becomes a slow backstop: an idle executor then sends one read every few seconds (the expiry
 * sweep's `findSweepWork`, which also wakes the other loops that have work) instead of several
 * statements a second. Without a signal, the loops poll at `backgroundProcessIntraBatchSleepMs` as
 * upstream's do.
 */
import type { TaskExecutionsStorageLayer } from '../batching/storage-layer.js'
import type { TaskExecutionsStorageChange, TaskExecutionsStorageChangeSubscription } from '../storage.js'
import type { BackgroundProcessName } from './background.js'
import type { BackgroundLoop } from './loops.js'

/** With a change signal, how often the loops still poll, at the least: a backstop. */
export const BACKSTOP_POLL_INTERVAL_MS = 10_000

/**
 * With a change signal and a storage that tells which sweeps have work (`findSweepWork`), how often
 * the loops other than the expiry sweep still poll: the expiry sweep's read, every
 * {@link EXPIRY_SWEEP_INTERVAL_MS}, wakes those with work, so this is only a safety net.
 */
export const READ_BACKED_POLL_INTERVAL_MS = 60_000

/**
 * With a change signal, how often leases are swept, at the least: a lease that ends in another
 * process sends no signal, so this bounds how long recovery waits after it. With `findSweepWork`,
 * each sweep is one read, and the UPDATEs run only for what it found.
 */
export const EXPIRY_SWEEP_INTERVAL_MS = 3_000

/** How long `start()` waits for the signal's first connection before polling instead. */
export const SUBSCRIBE_WAIT_MS = 5_000

/** The loops a change wakes: every one but the expiry sweep, which no other process signals. */
const LOOPS_A_CHANGE_WAKES: ReadonlyArray<BackgroundProcessName> = [
  'processReadyTaskExecutions',
  'processOnChildrenFinishedTaskExecutions',
  'markFinishedTaskExecutionsAsCloseStatusReady',
  'closeFinishedTaskExecutions',
  'cancelsNeedPromiseCancellationTaskExecutions',
]

/**
 * Subscribes to the storage's change signal, if it has one, and turns the loops' polling into a
 * backstop. Resolves to the subscription, or `undefined` when the storage has no signal or it
 * did not connect within {@link SUBSCRIBE_WAIT_MS} (the loops keep polling then).
 */
export async function subscribeLoopsToChanges(
  storage: TaskExecutionsStorageLayer,
  loops: Record<BackgroundProcessName, BackgroundLoop>,
  intervalMs: number,
  onError: (error: unknown) => void,
): Promise<TaskExecutionsStorageChangeSubscription | undefined> {
  if (!storage.hasChangeSignal) return undefined
  const onChange = (change?: TaskExecutionsStorageChange) => {
    // An enqueue makes work for the pickup only: the other sweeps would find nothing.
    if (change === 'enqueued') loops.processReadyTaskExecutions.trigger()
    else for (const name of LOOPS_A_CHANGE_WAKES) loops[name].trigger()
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const subscribing = storage.subscribeToChanges(onChange)
  const subscription = await Promise.race([
    subscribing.catch((error: unknown) => {
      onError(error)
      return undefined
    }),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SUBSCRIBE_WAIT_MS))),
  ])
  clearTimeout(timer)
  if (!subscription) {
    // It may still connect later: then it must not stay open behind a polling executor.
    void subscribing.then((late) => late.unsubscribe(), () => undefined)
    return undefined
  }
  const otherLoopsBackstop = storage.hasSweepWorkRead ? READ_BACKED_POLL_INTERVAL_MS : BACKSTOP_POLL_INTERVAL_MS
  for (const [name, loop] of Object.entries(loops) as Array<[BackgroundProcessName, BackgroundLoop]>) {
    const backstop = name === 'retryExpiredTaskExecutions' ? EXPIRY_SWEEP_INTERVAL_MS : otherLoopsBackstop
    loop.setIdleIntervalMs(Math.max(intervalMs, backstop))
  }
  return subscription
}
