import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'
import { openTempFile } from './backends.js'

describeJobStoreSuite('SQLite file (libsql)', { openStore: (prefix) => openTempFile('libsql', prefix) })
