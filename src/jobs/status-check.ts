/** The CHECK expression that keeps a status column inside its state machine's statuses. */
import { sql, type SQL } from 'drizzle-orm'
import type { StateMachine } from './state-machines.js'

/**
 * `"<column>" in ('a', 'b', …)`: the statuses are this library's constants, never input, so they
 * are written as literals (DDL takes no bound parameters).
 */
export function statusCheck<TStatus extends string>(columnName: string, machine: StateMachine<TStatus>): SQL {
  const literals = Object.keys(machine).map((status) => `'${status}'`)
  return sql`${sql.identifier(columnName)} in (${sql.raw(literals.join(', '))})`
}
