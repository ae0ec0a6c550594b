/**
 * Splitting multi-row statements so each stays under the dialect's bound-parameter limit and
 * statement size (spec 2.8). Sizes are estimates with headroom, not exact wire sizes.
 */

/** A generous upper bound of the bytes a value takes in a statement (strings count 4 bytes a character). */
export function estimateValueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length * 4 + 8
  if (value == null || typeof value !== 'object') return 24
  let total = 16
  // Walked in place: no array of values per object (every row written is measured).
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) total += estimateValueBytes(value[index])
    return total
  }
  const fields = value as Record<string, unknown>
  for (const key in fields) {
    if (Object.prototype.hasOwnProperty.call(fields, key)) total += estimateValueBytes(fields[key])
  }
  return total
}

/** Limits of one statement. */
export type ChunkLimits = {
  /** Most items per chunk (from the parameter limit). */
  readonly maxItems: number
  /** Most estimated bytes per chunk; an item larger than this travels alone. */
  readonly maxBytes: number
}

/** Consecutive chunks of `items`, each within the limits; order is kept. */
export function chunkItems<T>(
  items: ReadonlyArray<T>,
  limits: ChunkLimits,
  itemBytes: (item: T) => number,
): Array<Array<T>> {
  const chunks: Array<Array<T>> = []
  let current: Array<T> = []
  let currentBytes = 0
  for (const item of items) {
    const bytes = itemBytes(item)
    const isFull = current.length >= Math.max(1, limits.maxItems) || currentBytes + bytes > limits.maxBytes
    if (current.length > 0 && isFull) {
      chunks.push(current)
      current = []
      currentBytes = 0
    }
    current.push(item)
    currentBytes += bytes
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}
