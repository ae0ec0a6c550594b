import { mariaDbBackend } from './backends.js'
import { describeSqlExecutorSuites } from './executor-suites.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('MariaDB')
if (url) describeSqlExecutorSuites(mariaDbBackend(url), { behaviours: true })
