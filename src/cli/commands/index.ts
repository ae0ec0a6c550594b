/** The command line's commands, in the order `--help` lists them; each registers itself on the program. */
import type { Command } from 'commander'
import { registerDemoCommand } from './demo.js'
import { registerInspectCommand } from './inspect.js'
import { registerMigrateCommand } from './migrate.js'
import { registerPurgeCommand } from './purge.js'

/** Adds one command to the program. */
export type CommandRegistrar = (program: Command) => void

/** Every command's registrar. */
export const COMMAND_REGISTRARS: ReadonlyArray<CommandRegistrar> = [
  registerMigrateCommand,
  registerInspectCommand,
  registerPurgeCommand,
  registerDemoCommand,
]
