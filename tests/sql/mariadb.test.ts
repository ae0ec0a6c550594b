import { mariaDbBackend } from './backends.js'
import { describeSqlStorageConformance } from './conformance.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('MariaDB')
if (url) describeSqlStorageConformance(mariaDbBackend(url))
