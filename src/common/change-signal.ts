/**
 * The storage's change signal (`subscribeToChanges`), written once: which writes must wake the
 * executors of other processes, and, for dialects without notifications (MySQL, SQLite), the
 * polling of a cheap version the database keeps: checked every 50 ms while changes come, every
 * 500 ms after ten quiet seconds, and only a change makes the executors run their real sweeps.
 * Where the dialect has notifications (PostgreSQL), each payload says what changed and which
 * storage object sent it, so that listeners skip their own (that object wakes its subscribers
 * in-process instead).
 */
import type {
  TaskExecutionsStorageChange,
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageUpdate,
} from '../core/index.js'

/** Version checks while changes come. */
export const ACTIVE_POLL_INTERVAL_MS = 50
/** Version checks once nothing changed for {@link STAYS_ACTIVE_MS}. */
export const IDLE_POLL_INTERVAL_MS = 500
/** How long after the last change the checks stay frequent. */
export const STAYS_ACTIVE_MS = 10_000

/**
 * Whether a by-id write makes work for another process's executor, which its own wake-ups
 * cannot reach: a cancel (a run elsewhere must be interrupted), a sleeping task woken up, an
 * execution handed back to `ready` without a retry being counted (at shutdown, a suspect). The
 * writing executor wakes itself for everything else (its results, its retries, its children).
 */
export function wakesOtherExecutors(
  update: TaskExecutionStorageUpdate,
  filters: TaskExecutionStorageGetByIdFilters | undefined,
): boolean {
  return (
    update.needsPromiseCancellation === true ||
    filters?.isSleepingTask === true ||
    (update.status === 'ready' && update.retryAttempts === undefined)
  )
}

/** A running poll of a version; `stop` ends it. */
export type VersionPoll = { stop(): void }

/**
 * Reads `readVersion` at the adaptive interval and calls `onChange` when the value differs from
 * the last one read, and once more after reads that failed start working again (what changed
 * meanwhile is unknown). Resolves once the first read set the baseline (or failed), so that any
 * change made after it is seen.
 */
export async function pollVersion(readVersion: () => Promise<unknown>, onChange: () => void): Promise<VersionPoll> {
  let last: string | undefined
  let lastChangeAt = Date.now()
  let hadFailure = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let isStopped = false

  const check = async () => {
    try {
      const version = JSON.stringify(await readVersion())
      if (hadFailure || (last !== undefined && version !== last)) {
        lastChangeAt = Date.now()
        onChange()
      }
      hadFailure = false
      last = version
    } catch {
      // The database is away: the storage's own calls report it; check again later.
      hadFailure = true
    }
    if (isStopped) return
    const intervalMs = Date.now() - lastChangeAt < STAYS_ACTIVE_MS ? ACTIVE_POLL_INTERVAL_MS : IDLE_POLL_INTERVAL_MS
    timer = setTimeout(() => void check(), intervalMs)
  }

  await check()
  return {
    stop() {
      isStopped = true
      clearTimeout(timer)
    },
  }
}

/** The payload's word for a change of any kind (an `undefined` change). */
const ANY_CHANGE = 'any'

/**
 * A notification's payload: what changed, then the sending storage object's id, which is empty
 * when every listener must act on it (an insert in the caller's transaction: only its commit, which
 * the storage cannot see, makes the rows visible).
 */
export function changeNotificationPayload(change: TaskExecutionsStorageChange, senderId: string): string {
  return `${change ?? ANY_CHANGE}:${senderId}`
}

/**
 * Reads a payload of {@link changeNotificationPayload}; anything else (an empty payload of an
 * older version, a reconnection's `undefined`) is a change of any kind from an unknown sender.
 */
export function parseChangeNotification(payload: string | undefined): {
  change: TaskExecutionsStorageChange
  senderId: string | undefined
} {
  const separator = payload?.indexOf(':') ?? -1
  if (payload === undefined || separator < 0) return { change: undefined, senderId: undefined }
  const change = payload.slice(0, separator) === 'enqueued' ? 'enqueued' : undefined
  return { change, senderId: payload.slice(separator + 1) || undefined }
}
