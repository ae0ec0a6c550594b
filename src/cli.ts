#!/usr/bin/env node
/**
 * The `durable-execution-drizzle` (alias `ded`) executable: runs the command line on this
 * process's arguments and exits with its code. The commands live in `src/cli/`.
 * @module cli
 */
import { runCli } from './cli/program.js'

void runCli(process.argv).then((code) => {
  process.exitCode = code
})
