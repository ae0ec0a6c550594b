import { sqliteWalFileBackend } from './backends.js'
import { describeSqlExecutorSuites } from './executor-suites.js'

describeSqlExecutorSuites(sqliteWalFileBackend, { behaviours: true })
