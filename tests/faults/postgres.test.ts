/**
 * The bounded fault scenario on a private PostgreSQL instance, its workers behind the fault proxy:
 * SIGKILL, pause past the lease, restart, connection kills, proxy cuts and stalls, lost COMMIT replies.
 */
import { postgresScenarioDatabase } from './databases.js'
import { describeBoundedFaults } from './bounded.js'
import { BOUNDED_SERVER_SEGMENTS } from './forms.js'
import { startFaultProxy, type FaultProxy } from './proxy/proxy.js'
import { startPrivateServerOrSkip } from './servers/availability.js'
import { startPrivatePostgres } from './servers/private-postgres.js'

const server = await startPrivateServerOrSkip('PostgreSQL', startPrivatePostgres)
if (server) {
  let proxy: FaultProxy | undefined
  describeBoundedFaults(
    'PostgreSQL',
    BOUNDED_SERVER_SEGMENTS,
    async () => postgresScenarioDatabase(server, (proxy = await startFaultProxy({ targetPort: server.port, protocol: 'postgres' }))),
    async () => {
      await proxy?.close()
      await server.stop()
    },
  )
}
