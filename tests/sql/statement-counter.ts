/**
 * Counting what each driver is asked to run: a wrapper around the driver client (not drizzle's
 * logger), so the counts are the statements that really reach the database.
 */

/** The statements a driver ran, in order. */
export class StatementCounter {
  readonly statements: Array<string> = []

  /** Records one statement. */
  record(statement: unknown): void {
    const query = statement != null && typeof statement === 'object' ? (statement as { sql?: unknown; text?: unknown }) : {}
    const text = typeof statement === 'string' ? statement : (query.sql ?? query.text)
    this.statements.push(typeof text === 'string' ? text.trim() : '')
  }

  /** Forgets everything recorded so far. */
  reset(): void {
    this.statements.length = 0
  }

  /** How many recorded statements start with `keyword` (e.g. `select`, `update`), case-insensitively. */
  count(keyword: string): number {
    const pattern = new RegExp(`^${keyword}\\b`, 'i')
    return this.statements.filter((statement) => pattern.test(statement)).length
  }
}

/** Replaces `object[method]` with a version that records its first argument first. */
export function countCalls<T extends object>(object: T, method: keyof T & string, counter: StatementCounter): void {
  const original = (object as Record<string, unknown>)[method] as (...args: Array<unknown>) => unknown
  ;(object as Record<string, unknown>)[method] = function (this: unknown, ...args: Array<unknown>) {
    counter.record(args[0])
    return original.apply(this, args)
  }
}
