/**
 * The global setup with Testcontainers really loaded (11.x on Node 20) against a container runtime
 * that does not answer: TESTCONTAINERS=1 stops the run with the message saying what to do; found
 * by the probe alone, the run falls back to the local servers. Each case in its own process, as
 * the setup changes the environment.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const execFileAsync = promisify(execFile)

// A DOCKER_HOST nothing listens on: Testcontainers picks it and fails, on any machine.
const DEAD_RUNTIME = 'unix:///nonexistent-durable-execution-test/docker.sock'

async function runSetup(env: Record<string, string>) {
  const inherited = { ...process.env }
  for (const name of ['PG_URL', 'MYSQL_URL', 'TESTCONTAINERS', 'DOCKER_HOST']) delete inherited[name]
  const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', 'tests/setup/fixtures/run-global-setup.ts'], {
    env: { ...inherited, ...env },
    timeout: 120_000,
  })
  return { result: JSON.parse(stdout.trim().split('\n').at(-1)!) as { threw: boolean; message?: string; PG_URL: string | null; MYSQL_URL: string | null }, stderr }
}

describe('the vitest global setup with an unreachable container runtime', () => {
  it('stops the run with TESTCONTAINERS=1, naming the reason and what to do', async () => {
    const { result } = await runSetup({ TESTCONTAINERS: '1', DOCKER_HOST: DEAD_RUNTIME })
    expect(result.threw).toBe(true)
    expect(result.message).toMatch(/^TESTCONTAINERS=1 but the test containers could not start \(.+\)\. Start Docker/)
    expect(result.message).toContain('run without TESTCONTAINERS')
  })

  it('falls back to the local servers, with one line, when only the probe found the runtime', async () => {
    const { result, stderr } = await runSetup({ DOCKER_HOST: DEAD_RUNTIME })
    expect(result).toEqual({ threw: false, PG_URL: null, MYSQL_URL: null })
    expect(stderr).toContain('!!! a container runtime was found but the test containers did not start')
  })

  it('leaves URLs you set alone and starts nothing', async () => {
    const { result, stderr } = await runSetup({ PG_URL: 'postgres://u@db.example:5432/x', MYSQL_URL: 'mysql://u@db.example:3306/x', DOCKER_HOST: DEAD_RUNTIME })
    expect(result).toEqual({ threw: false, PG_URL: 'postgres://u@db.example:5432/x', MYSQL_URL: 'mysql://u@db.example:3306/x' })
    expect(stderr).not.toContain('container')
  })
})
