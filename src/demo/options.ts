/**
 * The demo's options, their defaults and their checks. Every refusal is a {@link DemoOptionError}
 * naming the option, the value given and what to pass instead.
 */
import { DemoOptionError } from './errors.js'

/** The executor's parent task spawns at most this many children (its `maxChildrenPerTaskExecution` limit). */
export const MAX_DEMO_CHUNKS = 1000

/** What a demo run takes. */
export type DemoOptions = {
  /** Database URL; absent: `DATABASE_URL`, else the embedded SQLite file {@link DEFAULT_DEMO_SQLITE_URL}. */
  readonly url?: string
  /** Source rows to generate. */
  readonly rows: number
  /** Rows per chunk (one child task each). */
  readonly chunkSize: number
  /** Chunks processed at the same time. */
  readonly concurrency: number
  /** Delete the batch of this name first and start again. */
  readonly fresh: boolean
  /** The batch's name: the key a second run finds it by to resume it. */
  readonly batch: string
  /** Seed of the generated source. */
  readonly seed: number
  /** Prefix of every table the demo creates (job tables and `task_executions`). */
  readonly tablePrefix: string
}

/** The embedded database used when neither `--url` nor `DATABASE_URL` names one. */
export const DEFAULT_DEMO_SQLITE_URL = 'sqlite:./durable-etl-demo.db'

/** Defaults of every option but the URL. */
export const DEMO_DEFAULTS: Omit<DemoOptions, 'url'> = {
  rows: 100_000,
  chunkSize: 1_000,
  concurrency: 4,
  fresh: false,
  batch: 'durable-etl-demo',
  seed: 42,
  tablePrefix: '',
}

function positiveInteger(option: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new DemoOptionError(option, value, `pass a whole number from 1 to ${max}.`)
  }
  return value
}

/** An integer option from its command-line text. */
export function parseIntegerOption(option: string, text: string): number {
  const trimmed = text.trim().replace(/_/g, '')
  if (!/^-?\d+$/.test(trimmed)) throw new DemoOptionError(option, text, 'pass a whole number, e.g. 5000.')
  return Number(trimmed)
}

/** The options with defaults filled in, checked together. */
export function resolveDemoOptions(given: Partial<DemoOptions>): DemoOptions {
  const options = { ...DEMO_DEFAULTS, ...given }
  positiveInteger('--rows', options.rows, 10_000_000)
  positiveInteger('--chunk-size', options.chunkSize, 10_000)
  positiveInteger('--concurrency', options.concurrency, 64)
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new DemoOptionError('--seed', options.seed, 'pass a whole number >= 0.')
  const chunks = Math.ceil(options.rows / options.chunkSize)
  if (chunks > MAX_DEMO_CHUNKS) {
    throw new DemoOptionError(
      '--chunk-size',
      options.chunkSize,
      `${options.rows} rows would make ${chunks} chunks, more than the ${MAX_DEMO_CHUNKS} children a parent task may have: pass --chunk-size ${Math.ceil(options.rows / MAX_DEMO_CHUNKS)} or more.`,
    )
  }
  if (options.batch.trim() === '' || options.batch.length > 200) throw new DemoOptionError('--batch', options.batch, 'pass a name of 1 to 200 characters.')
  if (options.url !== undefined && options.url.trim() === '') throw new DemoOptionError('--url', options.url, 'pass a database URL, e.g. postgres://user@host:5432/db, or leave it out.')
  return options
}
