/** Workflow history (an append-only timeline) and timers (claimed and fired once, even when schedulers race). */
import { and, asc, eq, inArray, lte } from 'drizzle-orm'
import { BaseRepository, type RepositoryContext } from '../base-repository.js'
import { claimRows } from '../claim-rows.js'
import { InvalidJobOptionError } from '../errors.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables, TableOf } from '../job-tables.js'
import type { TimerRow, WorkflowHistoryRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import { TIMER_TRANSITIONS, type TimerStatus } from '../state-machines.js'

/** What logging an event takes. */
export type NewWorkflowHistoryEvent = InsertOf<WorkflowHistoryRow>

/** The timeline of each workflow. */
export class WorkflowHistoryRepository extends BaseRepository<TableOf<WorkflowHistoryRow>, WorkflowHistoryRow, NewWorkflowHistoryEvent> {
  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'workflowHistory'>) {
    super(context, tables.workflowHistory)
  }

  /** Appends an event. */
  async log(event: NewWorkflowHistoryEvent): Promise<WorkflowHistoryRow> {
    return this.create(event)
  }

  /** The workflow's events, oldest first (ties in time keep insertion order). */
  async getTimeline(workflowId: number, options: { readonly limit?: number; readonly offset?: number } = {}): Promise<Array<WorkflowHistoryRow>> {
    return this.findMany({ where: { workflowId }, orderBy: { createdAt: 'asc', id: 'asc' }, ...options })
  }
}

/** What creating a timer takes; it starts `scheduled` (the only status it may be created in). */
export type NewTimer = Omit<InsertOf<TimerRow, 'status'>, 'status'> & { readonly status?: 'scheduled' }

/** Which timers `cancelTimersForTarget` cancels: a workflow's, or only one of its steps'. */
export type TimerTarget = { readonly workflowId: number; readonly stepId?: number }

/** Timers. */
export class TimerRepository extends StatefulRepository<TimerRow, NewTimer, TimerStatus> {
  protected readonly entity = 'timer'
  protected readonly machine = TIMER_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'timers'>) {
    super(context, tables.timers)
  }

  /** Schedules a timer. */
  async createTimer(values: NewTimer): Promise<TimerRow> {
    return this.create({ status: 'scheduled', ...values })
  }

  /** Scheduled timers due at or before `now` (default: the clock), earliest first. */
  async findDueTimers(options: { readonly now?: number; readonly limit?: number } = {}): Promise<Array<TimerRow>> {
    const t = this.table
    return this.selectRows(and(eq(t.status, 'scheduled'), lte(t.dueAt, options.now ?? this.now())), {}, {
      orderBy: [asc(t.dueAt), asc(t.id)],
      limit: options.limit,
    })
  }

  /**
   * Claims up to `limit` (default 100) scheduled timers due at or before `now` (default: the
   * clock), earliest first, and marks them `fired`: each due timer goes to exactly one of several
   * racing schedulers (rows others are claiming are skipped, not waited for).
   * @returns the claimed timers as they are afterwards, earliest first.
   */
  async claimDueTimers(options: { readonly now?: number; readonly limit?: number } = {}): Promise<Array<TimerRow>> {
    const t = this.table
    const limit = options.limit ?? 100
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new InvalidJobOptionError('limit', limit, 'expected a positive integer.')
    const now = this.now()
    const due = and(eq(t.status, 'scheduled'), lte(t.dueAt, options.now ?? now))
    const claimed = (await claimRows(this.session, t, {
      where: due,
      recheck: due,
      orderBy: [asc(t.dueAt), asc(t.id)],
      limit,
      set: { status: 'fired', firedAt: now, updatedAt: now },
    })) as Array<TimerRow>
    return claimed.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)
  }

  /**
   * `scheduled` → `fired`. Of several callers racing on one timer exactly one gets `true`; the
   * others get `false` (already fired or cancelled).
   */
  async markFired(id: number): Promise<boolean> {
    // Only a scheduled timer matches, so the row lock lets exactly one racer through.
    const matched = await this.updateWhere(and(eq(this.table.id, id), eq(this.table.status, 'scheduled')), {
      status: 'fired',
      firedAt: this.now(),
    })
    if (matched === 0) await this.getExisting(id)
    return matched === 1
  }

  /** Cancels the target's scheduled timers; returns how many. */
  async cancelTimersForTarget(target: TimerTarget): Promise<number> {
    const t = this.table
    return this.updateWhere(
      and(
        eq(t.workflowId, target.workflowId),
        target.stepId === undefined ? undefined : eq(t.stepId, target.stepId),
        inArray(t.status, ['scheduled']),
      ),
      { status: 'cancelled' },
    )
  }
}
