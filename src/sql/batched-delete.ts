/**
 * Deleting many rows in bounded batches, for retention: each batch selects up to `batchSize` ids
 * (MariaDB rejects LIMIT inside IN, MySQL 8 a subquery on the DELETE's own table) and then deletes
 * by id, so no statement holds locks for long.
 */

/**
 * Deletes in batches until a batch comes back short or deletes nothing; returns how many rows
 * were deleted.
 * @param batchSize - most ids one batch selects.
 * @param selectIds - the next `limit` deletable ids, in a stable order.
 * @param deleteIds - deletes those ids (still deletable) and returns how many went.
 */
export async function deleteInBatches(
  batchSize: number,
  selectIds: (limit: number) => Promise<Array<number>>,
  deleteIds: (ids: Array<number>) => Promise<number>,
): Promise<number> {
  let deleted = 0
  for (;;) {
    const ids = await selectIds(batchSize)
    if (ids.length === 0) return deleted
    const count = await deleteIds(ids)
    deleted += count
    if (ids.length < batchSize || count === 0) return deleted
  }
}
