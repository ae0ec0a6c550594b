/**
 * The project's rule for servers, applied to private instances: when one cannot be started here,
 * one loud line and no suites locally, a failing test when `CI` is set (as tests/sql/servers.ts
 * does for the shared servers).
 */
import { describe, it } from 'vitest'
import type { PrivateServer } from './private-server.js'

/** Starts a private server, or prints why not (and fails under CI) and answers `undefined`. */
export async function startPrivateServerOrSkip(kind: PrivateServer['kind'], start: () => Promise<PrivateServer>): Promise<PrivateServer | undefined> {
  try {
    return await start()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const line = `!!! A private ${kind} instance for the fault suite could not be started (${reason.split('\n')[0]}); its fault tests do not run. See "Private server instances for fault tests" in toolchain.md.`
    console.warn(line)
    if (process.env.CI) {
      describe(`private ${kind} instance`, () => {
        it('starts in CI', () => {
          throw new Error(`${line}\n${reason}`)
        })
      })
    }
    return undefined
  }
}
