/**
 * The bounded fault scenario on a private PostgreSQL instance, its workers behind the fault proxy:
 * SIGKILL, pause past the lease, restart, connection kills, proxy cuts and stalls, lost COMMIT replies.
 */
import { describeBoundedServerFaults } from './bounded.js'
import { startPrivateServerOrSkip } from './servers/availability.js'
import { startPrivatePostgres } from './servers/private-postgres.js'

const server = await startPrivateServerOrSkip('PostgreSQL', startPrivatePostgres)
if (server) describeBoundedServerFaults(server)
