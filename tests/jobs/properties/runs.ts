/**
 * How many cases each property tries (`FAST_CHECK_RUNS`, default 1,000; `pnpm test:chaos` sets
 * 10,000) and the line each property prints with its case counts.
 */
export const PROPERTY_RUNS = (() => {
  const raw = process.env.FAST_CHECK_RUNS
  const runs = raw === undefined || raw === '' ? 1_000 : Number(raw)
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`FAST_CHECK_RUNS=${raw} is not a positive integer`)
  return runs
})()

/** Room for one property's generated cases on a loaded machine (about 300 ms a case at worst). */
export const PROPERTY_TIMEOUT_MS = PROPERTY_RUNS * 300

/** Counts of outcomes (`ok` or an error class name) over the cases of one property. */
export class OutcomeTally {
  private readonly counts = new Map<string, number>()
  private cases = 0

  /** Counts one case with its outcome. */
  add(outcome: string): void {
    this.cases++
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1)
  }

  /** Prints `<property> on <backends>: N cases (ok …, ErrorClass …)`. */
  print(property: string, backends: ReadonlyArray<string>): void {
    const parts = [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([outcome, count]) => `${outcome} ${count}`)
    console.log(`[property] ${property} on ${backends.join(', ')}: ${this.cases} cases each (${parts.join(', ')})`)
  }
}
