/**
 * The bounded fault scenario on a SQLite database file in WAL mode shared by the worker processes:
 * SIGKILL and pause past the lease (no server, so no database faults).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBoundedFaults } from './bounded.js'
import { sqliteWalScenarioDatabase } from './databases.js'
import { BOUNDED_FILE_SEGMENTS } from './forms.js'

describeBoundedFaults('SQLite WAL file', BOUNDED_FILE_SEGMENTS, () => {
  const folder = mkdtempSync(join(tmpdir(), 'de-faults-sqlite-'))
  const close = () => Promise.resolve(rmSync(folder, { recursive: true, force: true }))
  return Promise.resolve({ database: sqliteWalScenarioDatabase(join(folder, 'faults.sqlite')), close })
})
