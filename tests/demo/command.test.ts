/** The `demo` command: its options and help, and how it reports a refused option. */
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { registerDemoCommand, runDemoCommand } from '../../src/cli/commands/demo.js'

describe('demo command', () => {
  it('lists its options in --help, without the test seam', () => {
    const program = new Command('durable-execution-drizzle')
    const help = registerDemoCommand(program).helpInformation()
    for (const option of ['--url <url>', '--rows <count>', '--chunk-size <count>', '--concurrency <count>', '--fresh', '--batch <name>']) {
      expect(help).toContain(option)
    }
    expect(help).toContain('default: "100000"')
    expect(help).not.toContain('--hold-after-chunks')
  })

  it('exits 1 naming the option and the value when an option is not a number', async () => {
    let written = ''
    const output = { write: (text: string) => (written += text) }
    const code = await runDemoCommand(
      { url: 'sqlite::memory:', rows: 'many', chunkSize: '100', concurrency: '2', batch: 'b', seed: '1', tablePrefix: '' },
      { out: output, err: output },
    )
    expect(code).toBe(1)
    expect(written).toBe('demo failed: Invalid --rows "many": pass a whole number, e.g. 5000.\n')
  })
})
