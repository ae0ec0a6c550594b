import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'
import { openUrl, reachableServer } from './backends.js'

const url = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
if (url !== undefined) describeJobStoreSuite('PostgreSQL', { openStore: (prefix) => openUrl(url, prefix) })
