/**
 * The bounded fault scenario on a private MariaDB instance, its workers behind the fault proxy:
 * SIGKILL, pause past the lease, restart, connection kills, proxy cuts and stalls, lost COMMIT replies.
 */
import { describeBoundedServerFaults } from './bounded.js'
import { startPrivateServerOrSkip } from './servers/availability.js'
import { startPrivateMariaDb } from './servers/private-mariadb.js'

const server = await startPrivateServerOrSkip('MariaDB', startPrivateMariaDb)
if (server) describeBoundedServerFaults(server)
