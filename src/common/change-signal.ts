/**
 * The storage's change signal (`subscribeToChanges`), written once: which writes must wake the
 * executors of other processes, and, for dialects without notifications (MySQL, SQLite), a cheap
 * version the database keeps, read after each write to a watched database file (SQLite) or else
 * polled (every 25 ms for ten seconds after the start and after each change, every second
 * otherwise); only a change makes the executors run their real sweeps.
 * Where the dialect has notifications (PostgreSQL), each payload says what changed and which
 * storage object sent it, so that listeners skip their own (that object wakes its subscribers
 * in-process instead).
 */
import { existsSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import type {
  TaskExecutionsStorageChange,
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageUpdate,
} from '../core/index.js'

/**
 * Version checks while changes come: a change waits half of it on average before this process
 * sees it, which is most of the enqueue-to-start time across processes.
 */
export const ACTIVE_POLL_INTERVAL_MS = 25
/**
 * Version checks once nothing changed for {@link STAYS_ACTIVE_MS}: an idle executor's reads, so
 * the first change after a quiet spell waits up to this long.
 */
export const IDLE_POLL_INTERVAL_MS = 1_000
/** How long after the last change the checks stay frequent. */
export const STAYS_ACTIVE_MS = 10_000
/**
 * With a watched file, the least time between two version reads: the process's own commits write
 * the file too, so while it works this bounds the reads they cause.
 */
export const WATCH_CHECK_GAP_MS = 20

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

/** A running poll or watch of a version; `stop` ends it. */
export type VersionPoll = { stop(): void }

/** Called when the version changed: with what changed, where a new version tells (see `pollVersion`). */
export type VersionChange = (change: TaskExecutionsStorageChange) => void

/**
 * One version check: reads `readVersion` and calls `onChange(newVersionMeans)` when the value
 * differs from the last one read, and `onChange(undefined)` after reads that failed start working
 * again (what changed meanwhile is unknown). Resolves to whether the read worked.
 */
function versionChecker(
  readVersion: () => Promise<unknown>,
  onChange: VersionChange,
  newVersionMeans: TaskExecutionsStorageChange,
): () => Promise<boolean> {
  let last: string | undefined
  let hadFailure = false
  return async () => {
    try {
      const version = JSON.stringify(await readVersion())
      const recovered = hadFailure
      const changed = recovered || (last !== undefined && version !== last)
      hadFailure = false
      last = version
      if (changed) onChange(recovered ? undefined : newVersionMeans)
      return true
    } catch {
      // The database is away: the storage's own calls report it; check again later.
      hadFailure = true
      return false
    }
  }
}

/**
 * Reads `readVersion` at the adaptive interval (every {@link ACTIVE_POLL_INTERVAL_MS} for
 * {@link STAYS_ACTIVE_MS} after the start and after each change, every
 * {@link IDLE_POLL_INTERVAL_MS} otherwise) and calls `onChange` when it changed. A process that
 * just subscribed is likely to get work soon (a worker started beside its producers), hence the
 * fast start. Resolves once the first read set the baseline (or failed), so that any change made
 * after it is seen. `newVersionMeans` is what a new version tells (`'enqueued'` where only inserts
 * change it), passed to `onChange`.
 */
export async function pollVersion(
  readVersion: () => Promise<unknown>,
  onChange: VersionChange,
  newVersionMeans: TaskExecutionsStorageChange = undefined,
): Promise<VersionPoll> {
  let lastChangeAt = Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  let isStopped = false
  const check = versionChecker(
    readVersion,
    (change) => {
      lastChangeAt = Date.now()
      onChange(change)
    },
    newVersionMeans,
  )
  const checkAndWait = async () => {
    await check()
    if (isStopped) return
    const intervalMs = Date.now() - lastChangeAt < STAYS_ACTIVE_MS ? ACTIVE_POLL_INTERVAL_MS : IDLE_POLL_INTERVAL_MS
    timer = setTimeout(() => void checkAndWait(), intervalMs)
  }
  await checkAndWait()
  return {
    stop() {
      isStopped = true
      clearTimeout(timer)
    },
  }
}

/**
 * Watches a directory, calling `onEvent` with the name of each file written in it (`null` where
 * the platform does not say) and `onError` if the watch breaks. Throws when it cannot start.
 */
export type DirectoryWatch = (
  directory: string,
  onEvent: (filename: string | null) => void,
  onError: (error: unknown) => void,
) => { close(): void }

/** {@link DirectoryWatch} with `fs.watch` (inotify on Linux); it keeps no process alive. */
export const watchDirectory: DirectoryWatch = (directory, onEvent, onError) => {
  const watcher = watch(directory, { persistent: false }, (_event, filename) => onEvent(filename === null ? null : String(filename)))
  watcher.on('error', onError)
  return watcher
}

/**
 * Reads `readVersion` only after a write to `file` or a file named after it (`-wal`, `-journal`),
 * at most every {@link WATCH_CHECK_GAP_MS}, and calls `onChange` when it changed: an idle process
 * sends nothing. Polls as {@link pollVersion} instead where the file cannot be watched (it is
 * missing, the watch fails to start or breaks later; then `onChange` is called once, since what
 * changed meanwhile is unknown). Resolves once the baseline is read.
 */
export async function watchVersion(
  file: string,
  readVersion: () => Promise<unknown>,
  onChange: VersionChange,
  watchFiles: DirectoryWatch = watchDirectory,
): Promise<VersionPoll> {
  if (!existsSync(file)) return pollVersion(readVersion, onChange)
  const name = basename(file)
  const check = versionChecker(readVersion, onChange, undefined)
  let state: 'waiting' | 'scheduled' | 'checking' | 'stopped' = 'waiting'
  let writtenDuringCheck = false
  let lastCheckAt = Number.NEGATIVE_INFINITY
  let timer: ReturnType<typeof setTimeout> | undefined
  let watcher: { close(): void } | undefined
  let fallback: VersionPoll | undefined
  let isStopped = false

  const runCheck = async () => {
    state = 'checking'
    writtenDuringCheck = false
    lastCheckAt = Date.now()
    const worked = await check()
    if (state !== 'checking') return
    state = 'waiting'
    // A write during the read may have come after it; a failed read is tried again later.
    if (writtenDuringCheck) scheduleCheck()
    else if (!worked) timer = setTimeout(scheduleCheck, IDLE_POLL_INTERVAL_MS)
  }
  const scheduleCheck = () => {
    if (state === 'checking') writtenDuringCheck = true
    if (state !== 'waiting') return
    state = 'scheduled'
    clearTimeout(timer)
    timer = setTimeout(() => void runCheck(), Math.max(0, lastCheckAt + WATCH_CHECK_GAP_MS - Date.now()))
  }
  const stopWatching = () => {
    state = 'stopped'
    clearTimeout(timer)
    watcher?.close()
  }

  try {
    watcher = watchFiles(
      dirname(file),
      (filename) => {
        if (filename === null || filename === name || filename.startsWith(`${name}-`)) scheduleCheck()
      },
      () => {
        if (state === 'stopped') return
        stopWatching()
        void pollVersion(readVersion, onChange).then((poll) => {
          if (isStopped) return poll.stop()
          fallback = poll
          onChange(undefined)
        })
      },
    )
  } catch {
    return pollVersion(readVersion, onChange)
  }
  await runCheck()
  return {
    stop() {
      isStopped = true
      stopWatching()
      fallback?.stop()
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
