/**
 * `src/cli`: the command line (`durable-execution-drizzle`, alias `ded`). It sits on top of the
 * package (it opens databases through `src/database`) and nothing imports it. One file per
 * command in `commands/`; the shared database options in `options.ts`; errors print as one line.
 */
import { Command } from 'commander'
import { COMMAND_REGISTRARS } from './commands/index.js'
import { errorLine } from './errors.js'

/** The program with every command, its output and error streams as given (tests pass their own). */
export function buildProgram(): Command {
  const program = new Command()
    .name('durable-execution-drizzle')
    .description('Durable execution on your SQL database: create the tables, see what is queued, running and failing, and purge old rows.')
    .showHelpAfterError('(add --help for usage)')
  for (const register of COMMAND_REGISTRARS) register(program)
  return program
}

/**
 * Runs the command line on `argv` (process.argv's shape) and resolves to the exit code: 0, or 1
 * after printing one line on stderr.
 */
export async function runCli(argv: ReadonlyArray<string>): Promise<number> {
  const program = buildProgram().exitOverride()
  try {
    await program.parseAsync([...argv])
    return 0
  } catch (error) {
    const exitCode = (error as { exitCode?: unknown } | null)?.exitCode
    const code = (error as { code?: unknown } | null)?.code
    // commander has printed its own message (usage errors) or the help already.
    if (typeof code === 'string' && code.startsWith('commander.')) return typeof exitCode === 'number' ? exitCode : 1
    process.stderr.write(`${errorLine(error)}\n`)
    return 1
  }
}
