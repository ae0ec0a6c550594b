/**
 * Counts of the statements each driver is asked to run, fed by the client hooks of
 * `tests/sql/driver-recording.ts` (what really reaches the database, transactions included).
 * Only counts are kept, so a 100,000-task run does not hold every SQL text in memory.
 */

/** Statement counts of one backend since the last reset. */
export class StatementCounter {
  total = 0
  begins = 0
  commits = 0

  /** Records one statement (the driver's first argument: SQL text or a query config object). */
  record(statement: unknown): void {
    this.total++
    const query = statement != null && typeof statement === 'object' ? (statement as { sql?: unknown; text?: unknown }) : {}
    const text = typeof statement === 'string' ? statement : (query.sql ?? query.text)
    if (typeof text !== 'string') return
    const head = text.trimStart().slice(0, 8).toLowerCase()
    if (head.startsWith('begin') || head.startsWith('start')) this.begins++
    else if (head.startsWith('commit')) this.commits++
  }

  /** Forgets the counts. */
  reset(): void {
    this.total = 0
    this.begins = 0
    this.commits = 0
  }

  /** A copy of the counts. */
  snapshot(): { total: number; begins: number; commits: number } {
    return { total: this.total, begins: this.begins, commits: this.commits }
  }
}
