import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'
import { openUrl } from './backends.js'

describeJobStoreSuite('PGlite', { openStore: (prefix) => openUrl('pglite:', prefix) })
