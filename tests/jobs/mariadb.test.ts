import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'
import { openUrl, reachableServer } from './backends.js'

const url = await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')
if (url !== undefined) describeJobStoreSuite('MariaDB', { openStore: (prefix) => openUrl(url, prefix) })
