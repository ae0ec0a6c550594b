/**
 * The statements the tests' drivers ran, in order, as recorded by the hooks of
 * `driver-recording.ts` (what really reaches the database, not drizzle's logger).
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

  /**
   * How many recorded statements start with `keyword` (e.g. `select`, `update`), case-insensitively,
   * or open with a CTE whose first statement does (PostgreSQL's insert-and-notify is one INSERT).
   */
  count(keyword: string): number {
    const pattern = new RegExp(`^(with\\s+"?[\\w$]+"?\\s+as\\s*\\(\\s*)?${keyword}\\b`, 'i')
    return this.statements.filter((statement) => pattern.test(statement)).length
  }
}
