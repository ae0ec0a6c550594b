/**
 * The `demo` command: the durable ETL demo (`src/demo`) with its options. Its option parsing is
 * kept here, small, until the command line's shared option helpers exist; Ctrl-C (or SIGTERM)
 * stops it gracefully, a second Ctrl-C at once.
 */
import { Option, type Command } from 'commander'
import { DEMO_DEFAULTS, DEFAULT_DEMO_SQLITE_URL, parseIntegerOption, type DemoOptions } from '../../demo/options.js'
import { runDemo, type DemoIo } from '../../demo/run.js'

/** The options as commander hands them over (numbers still text). */
export type DemoCommandOptions = {
  url?: string
  rows: string
  chunkSize: string
  concurrency: string
  batch: string
  seed: string
  tablePrefix: string
  fresh?: boolean
  holdAfterChunks?: string
}

/** Exit code of a run stopped by Ctrl-C, as shells report it. */
const INTERRUPTED_EXIT_CODE = 130

function demoOptionsOf(given: DemoCommandOptions): Partial<DemoOptions> {
  return {
    url: given.url,
    rows: parseIntegerOption('--rows', given.rows),
    chunkSize: parseIntegerOption('--chunk-size', given.chunkSize),
    concurrency: parseIntegerOption('--concurrency', given.concurrency),
    batch: given.batch,
    seed: parseIntegerOption('--seed', given.seed),
    tablePrefix: given.tablePrefix,
    fresh: given.fresh === true,
  }
}

/** Runs the demo as the command does; resolves to the process exit code. */
export async function runDemoCommand(given: DemoCommandOptions, io: DemoIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  const controller = new AbortController()
  const stop = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_CODE)
    io.err.write('\nStopping (Ctrl-C again to quit at once)…\n')
    controller.abort()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    const holdAfterChunks = given.holdAfterChunks === undefined ? undefined : parseIntegerOption('--hold-after-chunks', given.holdAfterChunks)
    const result = await runDemo(demoOptionsOf(given), io, { signal: controller.signal, holdAfterChunks })
    return result.status === 'completed' ? 0 : INTERRUPTED_EXIT_CODE
  } catch (error) {
    io.err.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

/** Adds the `demo` command to `program`. */
export function registerDemoCommand(program: Command): Command {
  return program
    .command('demo')
    .description(
      'Run a durable ETL: generate orders (some invalid), process them in chunks as child tasks, write processed and error rows. ' +
        'Stop it with Ctrl-C or kill -9 and run the same command again: it resumes the same batch to the same result.',
    )
    .option('--url <url>', `database URL (PostgreSQL, MySQL/MariaDB, SQLite, PGlite); default DATABASE_URL, else ${DEFAULT_DEMO_SQLITE_URL}`)
    .option('--rows <count>', 'source rows to generate', String(DEMO_DEFAULTS.rows))
    .option('--chunk-size <count>', 'rows per chunk (one child task each)', String(DEMO_DEFAULTS.chunkSize))
    .option('--concurrency <count>', 'chunks processed at the same time', String(DEMO_DEFAULTS.concurrency))
    .option('--batch <name>', 'batch name: a second run with this name resumes it', DEMO_DEFAULTS.batch)
    .option('--seed <number>', 'seed of the generated source', String(DEMO_DEFAULTS.seed))
    .option('--table-prefix <prefix>', 'prefix of every table the demo creates', DEMO_DEFAULTS.tablePrefix)
    .option('--fresh', 'delete the batch of this name first and start again')
    .addOption(new Option('--hold-after-chunks <count>', 'test seam: hold every chunk after this many').hideHelp())
    .action(async (options: DemoCommandOptions) => {
      process.exitCode = await runDemoCommand(options)
    })
}
