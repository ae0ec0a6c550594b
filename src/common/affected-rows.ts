/**
 * The argument forms of `createMySqlTaskExecutionsStorage`: upstream's positional extractor of the
 * affected-row count, or an options object.
 */
import { readAffectedRowsCount, type AffectedRowsCountExtractor } from '../sql/affected-rows.js'
import type { SqlTaskExecutionsStorageOptions } from './storage.js'

/** Options of the MySQL storage: the common ones plus the affected-rows extractor. */
export type MySqlTaskExecutionsStorageOptions = SqlTaskExecutionsStorageOptions & {
  /** Reads the affected-row count from an UPDATE result; mysql2 and `{ rowsAffected }` are understood without it. */
  getAffectedRowsCount?: AffectedRowsCountExtractor
}

/** Normalises `(extractor?, options?)` and `(options?)` into one options object. */
export function resolveMySqlStorageArguments(
  extractorOrOptions: AffectedRowsCountExtractor | MySqlTaskExecutionsStorageOptions | undefined,
  options: SqlTaskExecutionsStorageOptions | undefined,
): Required<Pick<MySqlTaskExecutionsStorageOptions, 'getAffectedRowsCount'>> & SqlTaskExecutionsStorageOptions {
  const merged =
    typeof extractorOrOptions === 'function'
      ? { ...options, getAffectedRowsCount: extractorOrOptions }
      : { ...options, ...extractorOrOptions }
  return { ...merged, getAffectedRowsCount: merged.getAffectedRowsCount ?? readAffectedRowsCount }
}
