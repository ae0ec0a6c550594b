/**
 * Run timeouts of every in-process run on one timer: deadlines sit in a binary min-heap and a
 * single timer is armed for the earliest. Cancelled entries are dropped lazily, and the heap is
 * rebuilt when they outnumber the live ones, so its size stays proportional to the running runs.
 */

/** A scheduled deadline; `cancel()` makes sure its callback never runs. */
export type Deadline = {
  cancel: () => void
}

type DeadlineEntry = {
  at: number
  onExpire: () => void
  cancelled: boolean
}

/** Calls each scheduled callback once its time has come, on a single shared timer. */
export class DeadlineScheduler {
  private heap: Array<DeadlineEntry> = []
  private cancelledCount = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Number.POSITIVE_INFINITY
  private isShutdown = false

  /** Number of live (not cancelled, not expired) deadlines. */
  get size(): number {
    return this.heap.length - this.cancelledCount
  }

  /** Calls `onExpire` at `at` (ms since the epoch) unless cancelled first. */
  schedule(at: number, onExpire: () => void): Deadline {
    const entry: DeadlineEntry = { at, onExpire, cancelled: false }
    if (this.isShutdown) return { cancel: () => {} }
    this.push(entry)
    if (at < this.timerAt) this.arm()
    return {
      cancel: () => {
        if (entry.cancelled) return
        entry.cancelled = true
        this.cancelledCount++
        // Also when nothing live is left, so an idle executor holds no timer.
        if (
          this.cancelledCount === this.heap.length ||
          (this.cancelledCount > 32 && this.cancelledCount * 2 > this.heap.length)
        ) {
          this.compact()
        }
      },
    }
  }

  /** Drops every deadline and the timer; later schedules are ignored. */
  shutdown(): void {
    this.isShutdown = true
    this.heap = []
    this.cancelledCount = 0
    this.disarm()
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Number.POSITIVE_INFINITY
  }

  private arm(): void {
    this.disarm()
    const first = this.heap[0]
    if (!first) return
    this.timerAt = first.at
    this.timer = setTimeout(() => this.fire(), Math.max(0, first.at - Date.now()))
  }

  private fire(): void {
    this.timer = undefined
    this.timerAt = Number.POSITIVE_INFINITY
    const now = Date.now()
    for (let first = this.heap[0]; first && first.at <= now; first = this.heap[0]) {
      this.pop()
      if (first.cancelled) {
        this.cancelledCount--
        continue
      }
      // Marked so that a late cancel() does not count it as a heap entry.
      first.cancelled = true
      first.onExpire()
    }
    // Cancelled entries at the top would only cause an early, empty wake-up.
    while (this.heap[0]?.cancelled) {
      this.pop()
      this.cancelledCount--
    }
    if (!this.isShutdown) this.arm()
  }

  private compact(): void {
    const live = this.heap.filter((entry) => !entry.cancelled)
    live.sort((a, b) => a.at - b.at)
    this.heap = live
    this.cancelledCount = 0
    this.arm()
  }

  private push(entry: DeadlineEntry): void {
    const heap = this.heap
    heap.push(entry)
    let index = heap.length - 1
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex] as DeadlineEntry
      if (parent.at <= entry.at) break
      heap[index] = parent
      index = parentIndex
    }
    heap[index] = entry
  }

  private pop(): void {
    const heap = this.heap
    const last = heap.pop()
    if (!last || heap.length === 0) return
    let index = 0
    const length = heap.length
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      let smallest = left
      if (right < length && (heap[right] as DeadlineEntry).at < (heap[left] as DeadlineEntry).at) {
        smallest = right
      }
      if ((heap[smallest] as DeadlineEntry).at >= last.at) break
      heap[index] = heap[smallest] as DeadlineEntry
      index = smallest
    }
    heap[index] = last
  }
}
