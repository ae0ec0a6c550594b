/** The executor scenario on the in-process backends other than the SQLite file (which runs everything). */
import { afterAll } from 'vitest'
import { libsqlFileBackend, pgliteBackend, sqliteMemoryBackend } from './backends.js'
import { describeSqlExecutorSuites } from './executor-suites.js'

const pglite = pgliteBackend()
afterAll(() => pglite.shutdown())

describeSqlExecutorSuites(sqliteMemoryBackend, { behaviours: false })
describeSqlExecutorSuites(libsqlFileBackend, { behaviours: false })
describeSqlExecutorSuites(pglite, { behaviours: false })
