/**
 * The largest statement a server takes, and the size of a value as the server receives it. On
 * MySQL / MariaDB mysql2 escapes every parameter into the statement text, which the server's
 * `max_allowed_packet` bounds: a row over it fails with a dropped connection that no retry can
 * cure. The limit is read once per database object (one pool) and kept; a row that cannot fit is
 * refused before it is sent, with an error naming the limit.
 */
import type { SQL } from 'drizzle-orm'
import { InvalidStorageValueError } from '../core/index.js'
import { estimateValueBytes } from './chunks.js'

/** Bytes a one-row statement takes besides its values (the column list, keywords, quotes). */
const STATEMENT_OVERHEAD_BYTES = 8 * 1024

/** Characters mysql2 escapes with a backslash, each one byte more on the wire. */
// eslint-disable-next-line no-control-regex -- these control characters are exactly what mysql2 escapes
const ESCAPED_CHARACTERS = /[\0\b\t\n\r\x1a"'\\]/g

const limitsByDatabase = new WeakMap<object, Promise<number>>()

/**
 * The packet limit of the server behind `db`, read with `query` on first use and kept;
 * `Infinity` where the dialect has no such limit (`query` undefined). A failed read is not kept.
 */
export function readPacketLimit(
  db: object,
  query: SQL | undefined,
  runQuery: (statement: SQL) => Promise<Array<Record<string, unknown>>>,
): Promise<number> {
  if (query === undefined) return Promise.resolve(Number.POSITIVE_INFINITY)
  const known = limitsByDatabase.get(db)
  if (known) return known
  const reading = runQuery(query).then((rows) => {
    const bytes = Number(Object.values(rows[0] ?? {})[0])
    return Number.isFinite(bytes) && bytes > 0 ? bytes : Number.POSITIVE_INFINITY
  })
  limitsByDatabase.set(db, reading)
  reading.catch(() => limitsByDatabase.delete(db))
  return reading
}

/** The bytes a value takes in a statement once mysql2 has escaped it (JSON values as their text). */
export function escapedByteLength(value: unknown): number {
  if (value == null) return 4
  if (typeof value === 'object') return escapedByteLength(JSON.stringify(value))
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '')
  return Buffer.byteLength(text, 'utf8') + (text.match(ESCAPED_CHARACTERS)?.length ?? 0) + 2
}

/**
 * Refuses, before anything is sent, a row whose values cannot fit one statement under `limit`
 * (on MySQL, `max_allowed_packet`). Rows are measured exactly only when the cheap upper bound
 * says they might not fit.
 */
export function checkRowsFitPacket(
  operation: string,
  dialectName: string,
  limit: number,
  rows: ReadonlyArray<{ readonly field: string; readonly values: object }>,
): void {
  if (limit === Number.POSITIVE_INFINITY) return
  const room = limit - STATEMENT_OVERHEAD_BYTES
  for (const { field, values } of rows) {
    if (estimateValueBytes(values) <= room) continue
    const bytes = Object.values(values).reduce<number>((total, value) => total + escapedByteLength(value), 0)
    if (bytes <= room) continue
    throw new InvalidStorageValueError(
      operation,
      field,
      `is ${bytes} bytes as ${dialectName} receives it (escaped), more than fits the server's ` +
        `max_allowed_packet of ${limit} bytes: raise max_allowed_packet on the server, or store less ` +
        '(for example a lower maxSerializedInputDataSize / maxSerializedOutputDataSize)',
    )
  }
}
