import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'
import { openTempFile } from './backends.js'

describeJobStoreSuite('SQLite file, WAL (better-sqlite3)', { openStore: (prefix) => openTempFile('sqlite', prefix) })
