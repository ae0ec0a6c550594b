/**
 * How the requests of one DataLoader batch are split into storage calls: by weight (rows or
 * children per call), and so that two requests touching the same row never share a call.
 */

/** The splitting rules of one batched method. */
export type BatchSplitRules<TRequest> = {
  /** The most weight one storage call may carry. */
  maxWeight: number
  /** The weight of one request; 1 when absent. */
  weightOf?: (request: TRequest) => number
  /**
   * The row a request writes. Two requests with the same key go to different calls, the later one
   * to a later call, so the storage applies them in the order they were made.
   */
  orderKeyOf?: (request: TRequest) => string
}

/**
 * Splits `requests` into consecutive groups of indexes, one group per storage call, keeping request
 * order. A request heavier than `maxWeight` gets a group of its own.
 */
export function splitBatchIntoCalls<TRequest>(
  requests: ReadonlyArray<TRequest>,
  rules: BatchSplitRules<TRequest>,
): Array<Array<number>> {
  const groups: Array<Array<number>> = []
  let current: Array<number> = []
  let currentWeight = 0
  let currentKeys = new Set<string>()
  requests.forEach((request, index) => {
    const weight = rules.weightOf ? rules.weightOf(request) : 1
    const key = rules.orderKeyOf?.(request)
    const overweight = current.length > 0 && currentWeight + weight > rules.maxWeight
    const repeatsKey = key !== undefined && currentKeys.has(key)
    if (overweight || repeatsKey) {
      groups.push(current)
      current = []
      currentWeight = 0
      currentKeys = new Set()
    }
    current.push(index)
    currentWeight += weight
    if (key !== undefined) currentKeys.add(key)
  })
  if (current.length > 0) groups.push(current)
  return groups
}
