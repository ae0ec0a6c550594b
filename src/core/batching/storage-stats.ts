/**
 * Timings of storage calls per method (spec 2.6 item 3, 4.1): lifetime count, min and max, and
 * quantiles over a sliding window.
 */

/** The quantiles reported per method: 0.5, 0.9 and 0.95; `undefined` when the window is empty. */
export type StorageMetricQuantiles = [
  [0.5, number | undefined],
  [0.9, number | undefined],
  [0.95, number | undefined],
]

/** The timings of one storage method, in ms. */
export type StorageMetric = {
  /** The storage method name, e.g. `getManyById`. */
  processName: string
  /** Calls made to the storage since the layer was created (each retry attempt counts). */
  count: number
  /** Shortest call since the layer was created. */
  min: number
  /** Longest call since the layer was created. */
  max: number
  /** Quantiles of the calls made within the sliding window (30 minutes by default). */
  quantiles: StorageMetricQuantiles
}

/** Thirty minutes, the window of the quantiles. */
export const STORAGE_STATS_WINDOW_MS = 30 * 60 * 1000

/** Samples kept per method at most; beyond it the oldest ones leave the window early. */
export const STORAGE_STATS_MAX_SAMPLES_PER_METHOD = 100_000

type MethodTimings = {
  count: number
  min: number
  max: number
  // Kept in recording order; `start` skips samples that left the window without shifting the array.
  sampleTimes: Array<number>
  sampleDurations: Array<number>
  start: number
}

function quantileOf(sortedDurations: ReadonlyArray<number>, quantile: number): number | undefined {
  if (sortedDurations.length === 0) return undefined
  const rank = Math.max(1, Math.ceil(quantile * sortedDurations.length))
  return sortedDurations[rank - 1]
}

/** Collects storage call durations per method and summarises them as {@link StorageMetric}s. */
export class StorageCallStats {
  private readonly windowMs: number
  private readonly maxSamplesPerMethod: number
  private readonly timingsByMethod = new Map<string, MethodTimings>()

  /**
   * @param windowMs - how long a sample counts towards the quantiles.
   * @param maxSamplesPerMethod - bound on the memory used per method.
   */
  constructor(
    windowMs = STORAGE_STATS_WINDOW_MS,
    maxSamplesPerMethod = STORAGE_STATS_MAX_SAMPLES_PER_METHOD,
  ) {
    this.windowMs = windowMs
    this.maxSamplesPerMethod = maxSamplesPerMethod
  }

  /** Records one call of `processName` that took `durationMs` and ended at `atMs` (epoch ms). */
  record(processName: string, durationMs: number, atMs: number): void {
    let timings = this.timingsByMethod.get(processName)
    if (!timings) {
      timings = {
        count: 0,
        min: durationMs,
        max: durationMs,
        sampleTimes: [],
        sampleDurations: [],
        start: 0,
      }
      this.timingsByMethod.set(processName, timings)
    }
    timings.count++
    timings.min = Math.min(timings.min, durationMs)
    timings.max = Math.max(timings.max, durationMs)
    timings.sampleTimes.push(atMs)
    timings.sampleDurations.push(durationMs)
    this.dropOldSamples(timings, atMs)
  }

  /** One metric per recorded method, most called first; quantiles cover the window ending at `nowMs`. */
  getMetrics(nowMs: number): Array<StorageMetric> {
    const metrics: Array<StorageMetric> = []
    for (const [processName, timings] of this.timingsByMethod) {
      this.dropOldSamples(timings, nowMs)
      const sorted = timings.sampleDurations.slice(timings.start).sort((a, b) => a - b)
      metrics.push({
        processName,
        count: timings.count,
        min: timings.min,
        max: timings.max,
        quantiles: [
          [0.5, quantileOf(sorted, 0.5)],
          [0.9, quantileOf(sorted, 0.9)],
          [0.95, quantileOf(sorted, 0.95)],
        ],
      })
    }
    return metrics.sort((a, b) => b.count - a.count)
  }

  private dropOldSamples(timings: MethodTimings, nowMs: number): void {
    const oldestKept = nowMs - this.windowMs
    const { sampleTimes } = timings
    while (
      timings.start < sampleTimes.length &&
      (sampleTimes[timings.start]! < oldestKept ||
        sampleTimes.length - timings.start > this.maxSamplesPerMethod)
    ) {
      timings.start++
    }
    // Compact once the skipped prefix dominates, so memory stays proportional to the window.
    if (timings.start > 1024 && timings.start * 2 > sampleTimes.length) {
      timings.sampleTimes = sampleTimes.slice(timings.start)
      timings.sampleDurations = timings.sampleDurations.slice(timings.start)
      timings.start = 0
    }
  }
}
