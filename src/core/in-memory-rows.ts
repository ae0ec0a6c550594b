/**
 * The row store behind the in-memory storage: the stored form of a row (one shape for all rows,
 * updated in place), the secondary indexes its claims read, the ready queue of the pickup claim,
 * and the bounded selection of the first rows of a claim. Internal to `in-memory-storage.ts`.
 */
import {
  TASK_EXECUTION_STORAGE_SETTABLE_FIELDS,
  TASK_EXECUTION_STORAGE_UNSETTABLE_FIELDS,
} from './storage-value.js'
import type {
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
  TaskExecutionSummary,
} from './storage.js'

/** A row as the storage keeps it: its own copy, updated in place, and its insertion order. */
export type StoredEntry = {
  /** Every field key is present (absent ones hold `undefined`), so all rows share one shape. */
  row: TaskExecutionStorageValue
  /** Breaks sort-key ties in insertion order, as a scan of the rows in insertion order would. */
  insertionOrder: number
  /** The row's current key in each secondary index, by the index's position. */
  indexKeys: Array<string | undefined>
  /** The row's live item in the ready queue, if it has one. */
  readyItem: ReadyQueueItem | undefined
}

/** A ready row's place in the ready queue, valid while it is its entry's `readyItem`. */
export type ReadyQueueItem = { startAt: number; entry: StoredEntry }

/**
 * Ready rows by ascending (startAt, insertion order), so the pickup claim takes the first rows
 * without looking at the thousands that are not due yet or come later. A binary min-heap with lazy
 * deletion: an item whose row left `ready` or got another `startAt` stays in the heap until it
 * reaches the top, where it is dropped.
 */
export class ReadyQueue {
  private readonly heap: Array<ReadyQueueItem> = []

  /** Queues a ready row, or re-queues it after its `startAt` changed. */
  sync(entry: StoredEntry): void {
    if (entry.row.status !== 'ready') return
    if (entry.readyItem && entry.readyItem.startAt === entry.row.startAt) return
    const item: ReadyQueueItem = { startAt: entry.row.startAt, entry }
    entry.readyItem = item
    this.heap.push(item)
    this.siftUp(this.heap.length - 1)
  }

  /**
   * Removes and returns up to `limit` ready rows with `startAt < startAtLessThan`, in order. They
   * leave the queue; `sync` re-queues any that are still ready after their update.
   */
  takeDue(startAtLessThan: number, limit: number): Array<StoredEntry> {
    const taken: Array<StoredEntry> = []
    while (taken.length < limit && this.heap.length > 0) {
      const top = this.heap[0]!
      const { entry } = top
      const isLive = entry.readyItem === top && entry.row.status === 'ready'
      if (isLive && !(top.startAt < startAtLessThan)) break
      this.pop()
      if (entry.readyItem === top) entry.readyItem = undefined
      if (isLive) taken.push(entry)
    }
    return taken
  }

  private isBefore(a: ReadyQueueItem, b: ReadyQueueItem): boolean {
    if (a.startAt !== b.startAt) return a.startAt < b.startAt
    return a.entry.insertionOrder < b.entry.insertionOrder
  }

  private pop(): void {
    const heap = this.heap
    const last = heap.pop()!
    if (heap.length === 0) return
    heap[0] = last
    let position = 0
    for (;;) {
      const left = 2 * position + 1
      const right = left + 1
      let smallest = position
      if (left < heap.length && this.isBefore(heap[left]!, heap[smallest]!)) smallest = left
      if (right < heap.length && this.isBefore(heap[right]!, heap[smallest]!)) smallest = right
      if (smallest === position) return
      ;[heap[smallest], heap[position]] = [heap[position]!, heap[smallest]!]
      position = smallest
    }
  }

  private siftUp(position: number): void {
    const heap = this.heap
    while (position > 0) {
      const parent = (position - 1) >> 1
      if (!this.isBefore(heap[position]!, heap[parent]!)) return
      ;[heap[parent], heap[position]] = [heap[position]!, heap[parent]!]
      position = parent
    }
  }
}

/** Entries grouped by a key derived from their row; rows without a key are in no group. */
export class RowIndex {
  private readonly groups = new Map<string, Set<StoredEntry>>()
  readonly keyOf: (row: TaskExecutionStorageValue) => string | undefined

  constructor(keyOf: (row: TaskExecutionStorageValue) => string | undefined) {
    this.keyOf = keyOf
  }

  /** Puts the entry in the group of `key`; no-op for `undefined`. */
  add(entry: StoredEntry, key: string | undefined): void {
    if (key === undefined) return
    let group = this.groups.get(key)
    if (!group) {
      group = new Set()
      this.groups.set(key, group)
    }
    group.add(entry)
  }

  /** Takes the entry out of the group of `key`, dropping the group when it empties. */
  remove(entry: StoredEntry, key: string | undefined): void {
    if (key === undefined) return
    const group = this.groups.get(key)
    if (!group) return
    group.delete(entry)
    if (group.size === 0) this.groups.delete(key)
  }

  /** The entries whose key is `key`, live (do not hold across updates). */
  group(key: string): ReadonlySet<StoredEntry> | undefined {
    return this.groups.get(key)
  }

  /** Empties every group. */
  clear(): void {
    this.groups.clear()
  }
}

function copySummary(summary: TaskExecutionSummary): TaskExecutionSummary {
  return { taskId: summary.taskId, executionId: summary.executionId }
}

/** The storage's own copy of a value, with every field key present (see {@link StoredEntry}). */
export function createStoredRow(value: TaskExecutionStorageValue): TaskExecutionStorageValue {
  const orUndefined = <T>(field: T | null | undefined): T | undefined => field ?? undefined
  return {
    root: value.root == null ? undefined : copySummary(value.root),
    parent: value.parent == null ? undefined : { ...value.parent },
    taskId: value.taskId,
    executionId: value.executionId,
    isSleepingTask: value.isSleepingTask,
    sleepingTaskUniqueId: orUndefined(value.sleepingTaskUniqueId),
    retryOptions: { ...value.retryOptions },
    sleepMsBeforeRun: value.sleepMsBeforeRun,
    timeoutMs: value.timeoutMs,
    areChildrenSequential: value.areChildrenSequential,
    input: value.input,
    executorId: orUndefined(value.executorId),
    status: value.status,
    isFinished: value.isFinished,
    runOutput: orUndefined(value.runOutput),
    output: orUndefined(value.output),
    error: value.error == null ? undefined : { ...value.error },
    retryAttempts: value.retryAttempts,
    startAt: value.startAt,
    startedAt: orUndefined(value.startedAt),
    expiresAt: orUndefined(value.expiresAt),
    waitingForChildrenStartedAt: orUndefined(value.waitingForChildrenStartedAt),
    waitingForFinalizeStartedAt: orUndefined(value.waitingForFinalizeStartedAt),
    finishedAt: orUndefined(value.finishedAt),
    children: value.children == null ? undefined : value.children.map(copySummary),
    activeChildrenCount: value.activeChildrenCount,
    onChildrenFinishedProcessingStatus: value.onChildrenFinishedProcessingStatus,
    onChildrenFinishedProcessingExpiresAt: orUndefined(value.onChildrenFinishedProcessingExpiresAt),
    onChildrenFinishedProcessingFinishedAt: orUndefined(value.onChildrenFinishedProcessingFinishedAt),
    finalize: value.finalize == null ? undefined : copySummary(value.finalize),
    closeStatus: value.closeStatus,
    closeExpiresAt: orUndefined(value.closeExpiresAt),
    closedAt: orUndefined(value.closedAt),
    needsPromiseCancellation: value.needsPromiseCancellation,
    createdAt: value.createdAt,
    updatedAt: value.updatedAt,
    leaseToken: orUndefined(value.leaseToken),
    expiryCount: orUndefined(value.expiryCount),
  }
}

/** How each settable field's value is copied into a row; fields absent here are not settable. */
type SettableFieldKind = 'plain' | 'summaries' | 'summary' | 'object'
const SETTABLE_FIELD_KINDS: Record<string, SettableFieldKind | undefined> =
  Object.assign(
    Object.create(null) as Record<string, 'plain'>,
    Object.fromEntries(TASK_EXECUTION_STORAGE_SETTABLE_FIELDS.map((field) => [field, 'plain'])),
    { children: 'summaries', finalize: 'summary', error: 'object' },
  )

/**
 * Applies a raw storage update to a stored row in place, with the rules of
 * `applyTaskExecutionStorageUpdate` (spec 2.2); cleared fields hold `undefined` so the row keeps
 * its shape. Nested objects taken from the update are copied.
 */
export function applyUpdateToStoredRow(
  row: TaskExecutionStorageValue,
  update: TaskExecutionStorageUpdate,
  updateExpiresAtWithStartedAt: number | undefined,
): void {
  const target = row as Record<string, unknown>
  const source = update as Record<string, unknown>
  // Walks the update's own few keys rather than all settable fields; stray keys are skipped.
  for (const field in source) {
    const kind = SETTABLE_FIELD_KINDS[field]
    if (kind === undefined) continue
    const fieldValue = source[field]
    if (fieldValue == null) continue
    if (kind === 'summaries') {
      target[field] = (fieldValue as Array<TaskExecutionSummary>).map(copySummary)
    } else if (kind === 'summary') {
      target[field] = copySummary(fieldValue as TaskExecutionSummary)
    } else if (kind === 'object') {
      target[field] = { ...fieldValue }
    } else {
      target[field] = fieldValue
    }
  }
  if (updateExpiresAtWithStartedAt) {
    row.expiresAt = updateExpiresAtWithStartedAt + row.timeoutMs
  }
  const unset = update.unset
  if (unset) {
    for (const field of TASK_EXECUTION_STORAGE_UNSETTABLE_FIELDS) {
      if (unset[field] === true) target[field] = undefined
    }
  }
}

// Only the groups that the executor's claims and sweeps read are kept, so that the many writes
// moving rows between other values (ready, completed, closed, ...) touch no index. A query for a
// value without a group scans every row instead.
const INDEXED_STATUSES: ReadonlySet<string> = new Set(['running', 'waiting_for_children'])
const FINISHED_AND_CLOSE_STATUS_KEYS = new Map<string, string>([
  ['idle', 'finished:idle'],
  ['ready', 'finished:ready'],
])
const ACTIVE_AND_CLOSE_STATUS_KEYS = new Map<string, string>([['ready', 'active:ready']])

/** Index key: the status, for the statuses that have a group. */
export function byStatusKey(row: TaskExecutionStorageValue): string | undefined {
  return statusKey(row.status)
}

/** The group key of rows with `status`, or `undefined` when that status has no group. */
export function statusKey(status: string): string | undefined {
  return INDEXED_STATUSES.has(status) ? status : undefined
}

/** Index key: `isFinished` with the close status, for the combinations that have a group. */
export function byFinishedAndCloseStatusKey(row: TaskExecutionStorageValue): string | undefined {
  return finishedAndCloseStatusKey(row.isFinished, row.closeStatus)
}

/** The group key of rows with these values, or `undefined` when they have no group. */
export function finishedAndCloseStatusKey(
  isFinished: boolean,
  closeStatus: string,
): string | undefined {
  return (isFinished ? FINISHED_AND_CLOSE_STATUS_KEYS : ACTIVE_AND_CLOSE_STATUS_KEYS).get(closeStatus)
}

/** Index key: present while a children-finished lease is held. */
export function byChildrenFinishedLeaseKey(row: TaskExecutionStorageValue): string | undefined {
  return row.onChildrenFinishedProcessingExpiresAt === undefined ? undefined : 'leased'
}

/** Index key: present while a close lease is held. */
export function byCloseLeaseKey(row: TaskExecutionStorageValue): string | undefined {
  return row.closeExpiresAt === undefined ? undefined : 'leased'
}

/** Index key: present while the cancellation flag is set. */
export function byNeedsPromiseCancellationKey(row: TaskExecutionStorageValue): string | undefined {
  return row.needsPromiseCancellation ? 'needed' : undefined
}

/**
 * The first `limit` candidates in ascending (sort key, insertion order), found with a bounded
 * max-heap: a claim over thousands of rows with a small limit neither sorts nor copies them all.
 */
export class FirstCandidates {
  private readonly limit: number
  private readonly keys: Array<number> = []
  private readonly entries: Array<StoredEntry> = []

  constructor(limit: number) {
    this.limit = limit
  }

  /** Considers one candidate; it is kept only while among the first `limit`. */
  offer(key: number, entry: StoredEntry): void {
    const { keys, entries } = this
    if (entries.length < this.limit) {
      keys.push(key)
      entries.push(entry)
      this.siftUp(entries.length - 1)
    } else if (this.isBefore(key, entry, 0)) {
      keys[0] = key
      entries[0] = entry
      this.siftDown(0)
    }
  }

  /** The kept candidates in ascending order. */
  sorted(): Array<StoredEntry> {
    const { keys, entries } = this
    const positions = entries.map((_, position) => position)
    positions.sort(
      (a, b) => keys[a]! - keys[b]! || entries[a]!.insertionOrder - entries[b]!.insertionOrder,
    )
    return positions.map((position) => entries[position]!)
  }

  // Whether (key, entry) comes before the candidate at `position`.
  private isBefore(key: number, entry: StoredEntry, position: number): boolean {
    const other = this.keys[position]!
    return key < other || (key === other && entry.insertionOrder < this.entries[position]!.insertionOrder)
  }

  private swap(a: number, b: number): void {
    const { keys, entries } = this
    ;[keys[a], keys[b]] = [keys[b]!, keys[a]!]
    ;[entries[a], entries[b]] = [entries[b]!, entries[a]!]
  }

  private siftUp(position: number): void {
    while (position > 0) {
      const parent = (position - 1) >> 1
      if (!this.isBefore(this.keys[parent]!, this.entries[parent]!, position)) return
      this.swap(parent, position)
      position = parent
    }
  }

  private siftDown(position: number): void {
    const size = this.entries.length
    for (;;) {
      let largest = position
      const left = 2 * position + 1
      const right = left + 1
      if (left < size && this.isBefore(this.keys[largest]!, this.entries[largest]!, left)) {
        largest = left
      }
      if (right < size && this.isBefore(this.keys[largest]!, this.entries[largest]!, right)) {
        largest = right
      }
      if (largest === position) return
      this.swap(largest, position)
      position = largest
    }
  }
}
