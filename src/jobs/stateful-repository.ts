/**
 * A repository whose rows carry a `status` governed by a state machine: transitions are one
 * conditional UPDATE (only rows in an allowed source status match), so concurrent callers cannot
 * both move the same row, and a refused transition reads the row to say why.
 */
import { and, count, inArray, sql, type Column, type SQL } from 'drizzle-orm'
import { BaseRepository, type RowId } from './base-repository.js'
import { InvalidJobValueError } from './errors.js'
import type { WhereFilter } from './filters.js'
import type { TableOf } from './job-tables.js'
import { InvalidTransitionError, JobNotHeldError, JobRecordNotFoundError, statusesLeadingTo, type StateMachine } from './state-machines.js'

/** A row with an integer id and a status. */
export type StatefulRow<TStatus extends string> = { id: number; status: TStatus }

/** A transition whose target the UPDATE picks in SQL (e.g. retried or failed, by the attempts left). */
export type StatusChoice<TRow, TStatus extends string> = {
  /** Every status the UPDATE may set. */
  readonly among: ReadonlyArray<TStatus>
  /** The expression the UPDATE sets the status to. */
  readonly status: SQL
  /** The target the UPDATE would have chosen for `row`, named when the move is refused. */
  readonly targetFor: (row: TRow) => TStatus
}

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
   * @param to - the new status, or a choice among several made in SQL by the same statement.
   * @param condition - a further condition the row must meet (e.g. the lease holder).
   * @returns the row afterwards.
   * @throws InvalidTransitionError when the row's status does not lead to `to`;
   *   JobRecordNotFoundError when there is no such row.
   */
  protected async transition(id: number, to: TStatus | StatusChoice<TRow, TStatus>, set: Record<string, unknown> = {}, condition?: SQL): Promise<TRow> {
    const targets = typeof to === 'string' ? [to] : to.among
    const allowedFrom = [...new Set(targets.flatMap((target) => statusesLeadingTo(this.machine, target)))]
    // Only a row in an allowed source status matches, so two racing callers cannot both move it.
    const status = typeof to === 'string' ? to : to.status
    const moved = await this.updateByIdReturning(id, and(inArray(this.statusColumn, allowedFrom), condition), { ...set, status })
    if (moved !== undefined) return moved
    const row = await this.findById(id)
    if (row === undefined) throw new JobRecordNotFoundError(this.entity, id)
    const target = typeof to === 'string' ? to : to.targetFor(row)
    if (allowedFrom.includes(row.status) && condition !== undefined) {
      throw new JobNotHeldError(this.entity, id, target, row.status)
    }
    throw new InvalidTransitionError(this.entity, id, row.status, target, statusesLeadingTo(this.machine, target))
  }

  /** The status new rows start in: the machine's first (`state-machines.ts` lists it first). */
  protected get initialStatus(): TStatus {
    return Object.keys(this.machine)[0] as TStatus
  }

  /** Inserts a row, which must start in the initial status (later statuses only through transitions). */
  override async create(values: TInsert): Promise<TRow> {
    this.checkInitialStatus(values)
    return super.create(values)
  }

  /** Inserts rows, each in the initial status. */
  override async createMany(values: ReadonlyArray<TInsert>): Promise<void> {
    for (const row of this.checkedList(values)) this.checkInitialStatus(row)
    return super.createMany(values)
  }

  /** Updates rows by filter; the status changes only through the repository's transitions. */
  override async update(where: WhereFilter<TRow>, set: Partial<TInsert>): Promise<number> {
    this.refuseStatusChange(set)
    return super.update(where, set)
  }

  /** Updates one row; the status changes only through the repository's transitions. */
  override async updateById(id: RowId, set: Partial<TInsert>): Promise<TRow | undefined> {
    this.refuseStatusChange(set)
    return super.updateById(id, set)
  }

  private checkInitialStatus(values: object): void {
    const status = (this.checkedValues(values) as { status?: unknown }).status
    if (status !== undefined && status !== this.initialStatus) {
      throw new InvalidJobValueError(`${this.entity} status`, status, `a new ${this.entity} starts "${this.initialStatus}": create it so, then move it with the repository's transition methods.`)
    }
  }

  private refuseStatusChange(set: object): void {
    const status = (this.checkedValues(set) as { status?: unknown }).status
    if (status !== undefined) {
      throw new InvalidJobValueError(`${this.entity} status`, status, `update() cannot change a ${this.entity}'s status: use the repository's transition methods, which follow its state machine.`)
    }
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
