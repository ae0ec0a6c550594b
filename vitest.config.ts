import { defineConfig } from 'vitest/config'
import { SlowestFirstSequencer } from './tests/setup/slowest-first-sequencer.js'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Chooses the SQL servers once per run: your PG_URL / MYSQL_URL, the local servers, or containers
    // (TESTCONTAINERS=1, or a container runtime found and a URL unset): see tests/setup/server-source.ts.
    globalSetup: ['tests/setup/global-setup.ts'],
    // Most files wait on database servers, child processes and timers, not on the CPU: three at a
    // time on two cores (vitest's default would be one) took the suite from about 20 to about 11 minutes
    // (four at a time was no faster: the machine's two cores are then the limit).
    maxWorkers: 3,
    // The longest files start first, on a fresh clone too (see the sequencer).
    sequence: { sequencer: SlowestFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a condition; its 1 s default fails on a loaded machine, not on a bug.
    expect: { poll: { timeout: 20_000 } },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
    },
  },
})
