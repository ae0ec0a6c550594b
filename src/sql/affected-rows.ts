/**
 * Affected-row counts of MySQL-family drivers (spec 3.6): UPDATE and DELETE results carry no rows
 * there (MySQL 8 has no RETURNING), only a header.
 */

/** Reads the affected-row count from the raw result of an UPDATE. */
export type AffectedRowsCountExtractor = (result: unknown) => number

/**
 * The count from a mysql2 result (`[ResultSetHeader, fields]`, counting matched rows since mysql2
 * sets FOUND_ROWS) or a PlanetScale-style result (`{ rowsAffected }`).
 * @throws when the result has neither shape: pass your driver's extractor instead.
 */
export function readAffectedRowsCount(result: unknown): number {
  const header: unknown = Array.isArray(result) ? result[0] : result
  if (header != null && typeof header === 'object') {
    if ('affectedRows' in header) return Number(header.affectedRows)
    if ('rowsAffected' in header) return Number(header.rowsAffected)
  }
  throw new TypeError(
    `Cannot read the affected-row count from the MySQL driver's UPDATE result (${typeof header}): ` +
      'expected mysql2 [ResultSetHeader] or { rowsAffected }. Pass getAffectedRowsCount to ' +
      'createMySqlTaskExecutionsStorage for your driver.',
  )
}
