/**
 * The bounded fault scenario on a private MariaDB instance, its workers behind the fault proxy:
 * SIGKILL, pause past the lease, restart, connection kills, proxy cuts and stalls, lost COMMIT replies.
 */
import { mariaDbScenarioDatabase } from './databases.js'
import { describeBoundedFaults } from './bounded.js'
import { BOUNDED_SERVER_SEGMENTS } from './forms.js'
import { startFaultProxy, type FaultProxy } from './proxy/proxy.js'
import { startPrivateServerOrSkip } from './servers/availability.js'
import { startPrivateMariaDb } from './servers/private-mariadb.js'

const server = await startPrivateServerOrSkip('MariaDB', startPrivateMariaDb)
if (server) {
  let proxy: FaultProxy | undefined
  describeBoundedFaults(
    'MariaDB',
    BOUNDED_SERVER_SEGMENTS,
    async () => mariaDbScenarioDatabase(server, (proxy = await startFaultProxy({ targetPort: server.port, protocol: 'mysql' }))),
    async () => {
      await proxy?.close()
      await server.stop()
    },
  )
}
