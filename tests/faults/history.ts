/**
 * The per-process run history of the fault suite: append-only JSON lines, one file per worker
 * process. Each record is handed to the kernel with one `write` before the run goes on, so a
 * SIGKILL loses nothing already recorded; the reader drops a torn last line and nothing else.
 */
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Why a run function ended: it returned, it threw on purpose, or its abort signal fired. */
export type RunOutcome = 'returned' | 'threw' | 'aborted'

/** A worker process came up (written before it connects to the database). */
export type HelloRecord = { type: 'hello'; pid: number; at: number }

/** A run function began. `runId` is unique across processes: pid and a per-process counter. */
export type StartRecord = { type: 'start'; runId: string; key: string; attempt: number; pid: number; at: number }

/** A run function ended. `designed` marks a throw the task makes on purpose to be retried. */
export type FinishRecord = { type: 'finish'; runId: string; key: string; outcome: RunOutcome; designed: boolean; at: number }

/** The process is about to exit because of an uncaught exception or an unhandled rejection. */
export type CrashRecord = { type: 'crash'; pid: number; at: number; origin: string; message: string }

/** One line of a history file. */
export type HistoryRecord = HelloRecord | StartRecord | FinishRecord | CrashRecord

/**
 * The clock of every history record and fault: wall-clock milliseconds with a fraction, so that
 * records of different processes on one machine compare and ties within a millisecond are rare.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

/** Appends records to one history file. */
export type HistoryWriter = {
  append(record: HistoryRecord): void
  close(): void
}

/** Opens (creating if needed) a history file for appending. */
export function openHistory(path: string): HistoryWriter {
  const fd = openSync(path, 'a')
  return {
    append(record) {
      // One write call per line on an O_APPEND descriptor: the line is in the kernel on return.
      writeSync(fd, `${JSON.stringify(record)}\n`)
    },
    close() {
      closeSync(fd)
    },
  }
}

/** The records of one history text, and whether its last line was torn (cut by a kill mid-write). */
export function parseHistory(text: string, source = 'history'): { records: Array<HistoryRecord>; tornLastLine: boolean } {
  const lines = text.split('\n')
  const last = lines.pop() ?? ''
  const records: Array<HistoryRecord> = []
  lines.forEach((line, index) => {
    if (line === '') return
    try {
      records.push(JSON.parse(line) as HistoryRecord)
    } catch {
      throw new Error(`${source} line ${index + 1} is not JSON although a complete line follows it: ${JSON.stringify(line.slice(0, 200))}. The file is corrupt, not torn.`)
    }
  })
  if (last === '') return { records, tornLastLine: false }
  // Without its newline the last record may be cut short; keep it only when it parses.
  try {
    records.push(JSON.parse(last) as HistoryRecord)
    return { records, tornLastLine: false }
  } catch {
    return { records, tornLastLine: true }
  }
}

/** Every record of every `*.jsonl` file in `directory`, and how many files ended in a torn line. */
export function readHistoryDirectory(directory: string): { records: Array<HistoryRecord>; tornLines: number } {
  const records: Array<HistoryRecord> = []
  let tornLines = 0
  for (const name of readdirSync(directory).filter((file) => file.endsWith('.jsonl')).sort()) {
    const parsed = parseHistory(readFileSync(join(directory, name), 'utf8'), name)
    records.push(...parsed.records)
    if (parsed.tornLastLine) tornLines++
  }
  return { records, tornLines }
}
