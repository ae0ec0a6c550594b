/**
 * The order vitest starts the test files in. With three files at a time on two cores, the run ends
 * when its last long file does: those must start first. Vitest orders by the durations it cached
 * from earlier runs, and on a fresh clone (CI) by file size, larger first; but the longest files are
 * small ones that bind a big suite to a backend (tests/sql/executor-postgres.test.ts is six lines),
 * so they started last and the run ran a minute and a half longer. The files below start first, in
 * this order (the longest of a full run on 2026-12-06, seconds in brackets); the rest follow in
 * vitest's own order. A file missing here only starts later: the list orders, it selects nothing.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node'

const SLOWEST_FILES = [
  'tests/sql/properties/executor-inputs.test.ts', // 108
  'tests/sql/executor-postgres.test.ts', // 101
  'tests/sql/executor-mariadb.test.ts', // 90
  'tests/jobs/multi-process-claims.test.ts', // 83
  'tests/sql/properties/storage-calls.test.ts', // 69
  'tests/faults/postgres.test.ts', // 54
  'tests/sql/poison-pill.test.ts', // 49
  'tests/faults/mariadb.test.ts', // 49
  'tests/cli/servers.test.ts', // 44
  'tests/sql/executor-in-process.test.ts', // 43
  'tests/sql/executor-sqlite-wal-file.test.ts', // 41
  'tests/faults/sqlite-wal.test.ts', // 39
  'tests/jobs/properties/repositories.test.ts', // 37
]

/** Vitest's order, with {@link SLOWEST_FILES} moved to the front. */
export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const ordered = await super.sort(files)
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FILES.findIndex((path) => file.moduleId.endsWith(`/${path}`))
      return index === -1 ? SLOWEST_FILES.length : index
    }
    // Array.prototype.sort is stable: the files not listed keep vitest's order.
    return ordered.sort((a, b) => rank(a) - rank(b))
  }
}
