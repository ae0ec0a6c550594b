/**
 * The demo's progress: a live cli-progress bar (chunks, rows, rate) on a terminal, and plain
 * lines at every tenth of the chunks otherwise (logs and CI keep readable output).
 */
import { Presets, SingleBar } from 'cli-progress'

/** Where the demo writes: a terminal or not. */
export type DemoOutput = { readonly isTTY?: boolean; write(text: string): unknown }

/** Counts at the start of this run (a resumed batch starts with chunks already done). */
export type DemoProgressStart = { readonly totalChunks: number; readonly doneChunks: number; readonly totalRows: number; readonly doneRows: number }

/** Progress of one run of the demo. */
export type DemoProgress = {
  /** Shows the starting counts. */
  start(counts: DemoProgressStart): void
  /** One more chunk done with `rows` rows. */
  chunkDone(rows: number): void
  /** Ends the bar (the cursor moves past it). */
  stop(): void
  /** Rows done by this run and the seconds it has taken. */
  thisRun(): { readonly rows: number; readonly seconds: number }
}

/** Rows per second, rounded; 0 before any time has passed. */
export const rowsPerSecond = (rows: number, seconds: number): number => (seconds > 0 ? Math.round(rows / seconds) : 0)

/**
 * A progress display on `out`: a bar when `out.isTTY`, plain lines otherwise.
 * @param now - the clock in milliseconds (injectable for tests).
 */
export function createDemoProgress(out: DemoOutput, now: () => number = Date.now): DemoProgress {
  const startedAt = now()
  let counts: DemoProgressStart = { totalChunks: 0, doneChunks: 0, totalRows: 0, doneRows: 0 }
  let rowsThisRun = 0
  let chunks = 0
  let rows = 0
  let linesShown = 0
  const seconds = () => (now() - startedAt) / 1000
  const rate = () => rowsPerSecond(rowsThisRun, seconds())
  const bar = out.isTTY === true
    ? new SingleBar(
        {
          format: ' {bar} {percentage}% | chunks {chunks}/{totalChunks} | rows {value}/{total} | {rate} rows/s | {duration_formatted}',
          stream: out as NodeJS.WritableStream,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined
  const payload = () => ({ chunks, totalChunks: counts.totalChunks, rate: rate() })
  const plainLine = () => {
    const percent = counts.totalRows > 0 ? Math.floor((rows / counts.totalRows) * 100) : 100
    out.write(`progress: chunks ${chunks}/${counts.totalChunks}, rows ${rows}/${counts.totalRows} (${percent}%), ${rate()} rows/s\n`)
  }
  return {
    start(startCounts) {
      counts = startCounts
      chunks = startCounts.doneChunks
      rows = startCounts.doneRows
      if (bar !== undefined) bar.start(counts.totalRows, rows, payload())
      else plainLine()
    },
    chunkDone(chunkRows) {
      chunks++
      rows += chunkRows
      rowsThisRun += chunkRows
      if (bar !== undefined) {
        bar.update(rows, payload())
        return
      }
      // A line at each tenth of the chunks (and at the last one), whatever the timing.
      const tenths = counts.totalChunks > 0 ? Math.floor((chunks * 10) / counts.totalChunks) : 10
      if (tenths > linesShown || chunks === counts.totalChunks) {
        linesShown = tenths
        plainLine()
      }
    },
    stop() {
      bar?.stop()
    },
    thisRun: () => ({ rows: rowsThisRun, seconds: seconds() }),
  }
}
