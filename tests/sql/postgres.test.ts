import { postgresBackend } from './backends.js'
import { describeSqlStorageConformance } from './conformance.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('PostgreSQL')
if (url) describeSqlStorageConformance(postgresBackend(url))
