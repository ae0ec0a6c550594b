/**
 * The demo's source data: order rows generated from a seed, each a pure function of (seed, row
 * index), so a chunk re-run after a crash sees exactly the rows the first run saw and nothing has
 * to be stored before it is processed. About one row in sixteen is invalid on purpose (a missing
 * customer, an unreadable or negative amount, an unknown currency).
 */

/** One order as the source system exports it: strings, as a CSV export would hold them. */
export type SourceOrder = {
  readonly orderId: string
  readonly customer: string
  readonly amount: string
  readonly currency: string
  readonly orderedAt: string
}

const CUSTOMERS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth', 'Frances Allen', 'Ken Thompson']
const CURRENCIES = ['EUR', 'usd', 'GBP', 'eur', 'USD']
const DAY_MS = 86_400_000
const FIRST_DAY = Date.UTC(2026, 0, 1)

/** A 32-bit integer hash of (seed, index, salt): the same inputs always give the same value. */
function hash(seed: number, index: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(salt, 0x27d4eb2f)
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  return (h ^ (h >>> 16)) >>> 0
}

const pick = <T>(values: ReadonlyArray<T>, value: number): T => values[value % values.length]!

/** The order at `index` of the source generated from `seed`. */
export function sourceOrder(seed: number, index: number): SourceOrder {
  const cents = 100 + (hash(seed, index, 1) % 99_900)
  const order = {
    orderId: `ord_${seed}_${index}`,
    customer: pick(CUSTOMERS, hash(seed, index, 2)),
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    currency: pick(CURRENCIES, hash(seed, index, 3)),
    orderedAt: new Date(FIRST_DAY + (hash(seed, index, 4) % 365) * DAY_MS).toISOString(),
  }
  // One row in sixteen gets one defect, chosen by another hash.
  if (hash(seed, index, 5) % 16 !== 0) return order
  switch (hash(seed, index, 6) % 4) {
    case 0:
      return { ...order, customer: '' }
    case 1:
      return { ...order, amount: 'n/a' }
    case 2:
      return { ...order, amount: `-${order.amount}` }
    default:
      return { ...order, currency: 'XXX' }
  }
}

/** The orders at indexes `startRow` (inclusive) to `endRow` (exclusive). */
export function sourceOrders(seed: number, startRow: number, endRow: number): Array<SourceOrder> {
  const orders: Array<SourceOrder> = []
  for (let index = startRow; index < endRow; index++) orders.push(sourceOrder(seed, index))
  return orders
}
