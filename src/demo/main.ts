/**
 * `pnpm demo`: the `demo` command alone, so the demo runs without the full command line
 * (`src/cli.ts` adds the same command among the others). Arguments are the command's options.
 */
import { Command } from 'commander'
import { registerDemoCommand } from '../cli/commands/demo.js'

const program = new Command('durable-execution-drizzle')
registerDemoCommand(program)
// pnpm may pass a `--` separator through; the command's options follow it.
const args = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'))
await program.parseAsync(['demo', ...args], { from: 'user' })
