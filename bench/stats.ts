/**
 * Small measuring helpers shared by the workloads: sleeping, percentiles, rounding, and a counter
 * that resolves a promise when it reaches a target.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The `p`-th percentile (0..100) of `values` by nearest rank; `NaN` for no values. */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** `value` rounded to `digits` decimals (keeps the JSON readable). */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** The median of `values`. */
export function median(values: ReadonlyArray<number>): number {
  return percentile(values, 50)
}

/** Runs `work` for each item with at most `concurrency` in flight. */
export async function forEachConcurrently<T>(
  items: ReadonlyArray<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++
      await work(items[index]!, index)
    }
  })
  await Promise.all(runners)
}

/** A count that wakes waiters once it reaches their target. */
export class CountdownCounter {
  count = 0
  private waiters: Array<{ target: number; resolve: () => void }> = []

  /** Adds `by` and wakes the waiters whose target is reached. */
  add(by = 1): void {
    this.count += by
    if (this.waiters.length === 0) return
    const still: typeof this.waiters = []
    for (const waiter of this.waiters) {
      if (this.count >= waiter.target) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  /**
   * Resolves once the count reaches `target`; rejects after `timeoutMs` naming what was reached,
   * so a stuck workload ends the run with an error instead of hanging.
   */
  waitFor(target: number, timeoutMs: number, what: string): Promise<void> {
    if (this.count >= target) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: reached ${this.count} of ${target}`))
      }, timeoutMs)
      this.waiters.push({
        target,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }
}
