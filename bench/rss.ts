/**
 * Memory figures of the workloads' child processes: resident set size in MiB, a full GC when the
 * process runs with `--expose-gc` (`json-child.ts` starts them so), and the peak RSS sampled every
 * 100 ms while a phase runs.
 */

/** Bytes in a mebibyte. */
export const MiB = 2 ** 20

/** The process's resident set size now, in MiB. */
export const rssMiB = () => process.memoryUsage().rss / MiB

/** A full garbage collection, when `--expose-gc` made one available. */
export const collectGarbage: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {})

/** Samples RSS every 100 ms from now; `stop()` ends sampling and returns the peak seen, now included. */
export function samplePeakRss(): { readonly before: number; stop(): number } {
  const before = rssMiB()
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB())
  }, 100)
  return {
    before,
    stop: () => {
      clearInterval(sampler)
      return Math.max(peak, rssMiB())
    },
  }
}
