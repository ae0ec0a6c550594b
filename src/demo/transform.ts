/**
 * The demo's validation and transformation of one source order: a valid order becomes a
 * normalised record (integer cents, upper-case currency, its amount in euro cents); an invalid one
 * becomes an error naming the field and the value.
 */
import type { SourceOrder } from './source.js'

/** A processed order as the demo stores it. */
export type ProcessedOrder = {
  readonly orderId: string
  readonly customer: string
  readonly amountCents: number
  readonly currency: string
  readonly amountEurCents: number
  readonly orderedOn: string
}

/** Why an order was refused. */
export type OrderError = { readonly field: keyof SourceOrder; readonly message: string }

/** The outcome for one order. */
export type TransformResult = { readonly ok: true; readonly order: ProcessedOrder } | { readonly ok: false; readonly error: OrderError }

// Fixed rates keep the output deterministic: the demo shows durability, not finance.
const EUR_PER_UNIT: Readonly<Record<string, number>> = { EUR: 1, USD: 0.92, GBP: 1.17 }

/** Validates and transforms one order. */
export function transformOrder(source: SourceOrder): TransformResult {
  const customer = source.customer.trim()
  if (customer === '') return { ok: false, error: { field: 'customer', message: 'customer is empty' } }
  if (!/^\d+\.\d{2}$/.test(source.amount)) {
    return { ok: false, error: { field: 'amount', message: `amount ${JSON.stringify(source.amount)} is not a positive decimal with two places` } }
  }
  const currency = source.currency.toUpperCase()
  const rate = EUR_PER_UNIT[currency]
  if (rate === undefined) {
    return { ok: false, error: { field: 'currency', message: `currency ${JSON.stringify(source.currency)} is not one of ${Object.keys(EUR_PER_UNIT).join(', ')}` } }
  }
  const amountCents = Number(source.amount.replace('.', ''))
  return {
    ok: true,
    order: { orderId: source.orderId, customer, amountCents, currency, amountEurCents: Math.round(amountCents * rate), orderedOn: source.orderedAt.slice(0, 10) },
  }
}
