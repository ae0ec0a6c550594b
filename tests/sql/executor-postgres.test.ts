import { postgresBackend } from './backends.js'
import { describeSqlExecutorSuites } from './executor-suites.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('PostgreSQL')
if (url) describeSqlExecutorSuites(postgresBackend(url), { behaviours: true })
