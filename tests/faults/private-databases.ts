/**
 * A scenario database on a private server with the fault proxy in front of it, for either kind of
 * server: what the bounded tests and the chaos script open, and how they close it (proxy, then
 * server, which removes its folder).
 */
import { mariaDbScenarioDatabase, postgresScenarioDatabase, type ScenarioDatabase } from './databases.js'
import { startFaultProxy } from './proxy/proxy.js'
import type { PrivateServer } from './servers/private-server.js'

/** A scenario database and how to release it. */
export type OpenedScenarioDatabase = { database: ScenarioDatabase; close: () => Promise<void> }

/** Puts the fault proxy in front of `server` and describes it as a scenario database. */
export async function openPrivateServerDatabase(server: PrivateServer): Promise<OpenedScenarioDatabase> {
  const isPostgres = server.kind === 'PostgreSQL'
  const proxy = await startFaultProxy({ targetPort: server.port, protocol: isPostgres ? 'postgres' : 'mysql' })
  return {
    database: isPostgres ? postgresScenarioDatabase(server, proxy) : mariaDbScenarioDatabase(server, proxy),
    async close() {
      await proxy.close()
      await server.stop()
    },
  }
}
