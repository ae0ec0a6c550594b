/**
 * A repository whose rows carry a `status` governed by a state machine: transitions are one
 * conditional UPDATE (only rows in an allowed source status match), so concurrent callers cannot
 * both move the same row, and a refused transition reads the row to say why.
 */
import { and, count, eq, inArray, sql, type Column, type SQL } from 'drizzle-orm'
import { BaseRepository, type RowId } from './base-repository.js'
import type { TableOf } from './job-tables.js'
import { InvalidTransitionError, JobNotHeldError, JobRecordNotFoundError, statusesLeadingTo, type StateMachine } from './state-machines.js'

/** A row with an integer id and a status. */
export type StatefulRow<TStatus extends string> = { id: number; status: TStatus }

/** BaseRepository plus guarded status transitions. */
export abstract class StatefulRepository<
  TRow extends StatefulRow<TStatus>,
  TInsert extends object,
  TStatus extends string,
> extends BaseRepository<TableOf<TRow>, TRow, TInsert> {
  /** The entity kind named in errors, e.g. `workflow`. */
  protected abstract readonly entity: string
  /** The allowed transitions. */
  protected abstract readonly machine: StateMachine<TStatus>

  /** The status column. */
  protected get statusColumn(): Column {
    return this.table.status
  }

  /**
   * Moves row `id` to `to` when its status allows it, also setting `set`.
   * @param condition - a further condition the row must meet (e.g. the lease holder).
   * @returns the row afterwards.
   * @throws InvalidTransitionError when the row's status does not lead to `to`;
   *   JobRecordNotFoundError when there is no such row.
   */
  protected async transition(id: number, to: TStatus, set: Record<string, unknown> = {}, condition?: SQL): Promise<TRow> {
    const allowedFrom = statusesLeadingTo(this.machine, to)
    // Only a row in an allowed source status matches, so two racing callers cannot both move it.
    const matched = await this.updateWhere(
      and(eq(this.primaryKey.column, id), inArray(this.statusColumn, allowedFrom), condition),
      { ...set, status: to },
    )
    const row = await this.findById(id)
    if (row === undefined) throw new JobRecordNotFoundError(this.entity, id)
    if (matched === 0) {
      if (allowedFrom.includes(row.status) && condition !== undefined) {
        throw new JobNotHeldError(this.entity, id, to, row.status)
      }
      throw new InvalidTransitionError(this.entity, id, row.status, to, allowedFrom)
    }
    return row
  }

  /** The row, or a {@link JobRecordNotFoundError}. */
  protected async getExisting(id: RowId): Promise<TRow> {
    const row = await this.findById(id)
    if (row === undefined) throw new JobRecordNotFoundError(this.entity, Number(id))
    return row
  }

  /** Counts per status of the rows matching `where`, every status present (zero when none). */
  protected async countByStatus(where: SQL | undefined): Promise<Record<TStatus, number>> {
    const counts = Object.fromEntries(Object.keys(this.machine).map((status) => [status, 0])) as Record<TStatus, number>
    const rows = await this.session.selectRows(this.table, {
      fields: { status: this.statusColumn, count: count() },
      where: this.live(where),
      groupBy: [sql`${this.statusColumn}`],
    })
    for (const row of rows) counts[row.status as TStatus] = Number(row.count)
    return counts
  }
}
