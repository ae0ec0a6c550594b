#!/usr/bin/env node
/**
 * The `durable-execution-drizzle` (alias `ded`) executable: runs the command line on this
 * process's arguments and exits with its code. The commands live in `src/cli/`.
 * @module cli
 */
import { runCli } from './cli/program.js'

// `pnpm demo -- --rows 5000` passes its `--` on (npm drops it); the options follow it either way.
const args = process.argv.filter((arg, index) => !(arg === '--' && index <= 3))
void runCli(args).then((code) => {
  // A command may have set its own code (the demo's 130 after Ctrl-C); a failure overrides it.
  if (code !== 0) process.exitCode = code
})
