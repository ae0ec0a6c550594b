/** Workflows: lifecycle transitions (see `state-machines.ts`), attempts and completion checks. */
import { eq, sql } from 'drizzle-orm'
import type { RepositoryContext } from '../base-repository.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables } from '../job-tables.js'
import type { WorkflowRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import { WORKFLOW_TRANSITIONS, type WorkflowStatus } from '../state-machines.js'

/** What creating a workflow takes; status starts `pending` (the only status it may be created in), attempts at 0. */
export type NewWorkflow = Omit<InsertOf<WorkflowRow, 'status' | 'attempts'>, 'status'> & { readonly status?: 'pending' }

/** Statuses no transition leaves (`failed` may still be retried). */
const FINAL_STATUSES: ReadonlyArray<WorkflowStatus> = ['completed', 'cancelled']

/** Workflows (soft-deleted with `deletedAt`). */
export class WorkflowRepository extends StatefulRepository<WorkflowRow, NewWorkflow, WorkflowStatus> {
  protected readonly entity = 'workflow'
  protected readonly machine = WORKFLOW_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'workflows'>) {
    super(context, tables.workflows)
  }

  /** Creates a `pending` workflow. */
  override async create(values: NewWorkflow): Promise<WorkflowRow> {
    return super.create({ status: 'pending', attempts: 0, ...values })
  }

  /** `pending` (or `failed`, for a retry) → `running`. */
  async markRunning(id: number): Promise<WorkflowRow> {
    return this.transition(id, 'running', { startedAt: this.now(), finishedAt: null })
  }

  /** `running` → `completed`, storing the output. */
  async markCompleted(id: number, output?: unknown): Promise<WorkflowRow> {
    return this.transition(id, 'completed', { output: output ?? null, finishedAt: this.now() })
  }

  /** `running` → `failed`, storing the error. */
  async markFailed(id: number, error?: unknown): Promise<WorkflowRow> {
    return this.transition(id, 'failed', { error: error ?? null, finishedAt: this.now() })
  }

  /** `pending` or `running` → `paused`. */
  async pause(id: number): Promise<WorkflowRow> {
    return this.transition(id, 'paused')
  }

  /**
   * `pending`, `running` or `paused` → `cancelled` (final). From then on no step of the workflow
   * is claimable; a step already running finishes or fails under its lease as before.
   */
  async cancel(id: number): Promise<WorkflowRow> {
    return this.transition(id, 'cancelled', { finishedAt: this.now() })
  }

  /** `paused` → `pending`, to be picked up again. */
  async resume(id: number): Promise<WorkflowRow> {
    return this.transition(id, 'pending')
  }

  /** Adds one attempt atomically and returns the new count. */
  async incrementAttempts(id: number): Promise<number> {
    // Incremented in SQL so that concurrent increments all count.
    const matched = await this.updateWhere(eq(this.table.id, id), { attempts: sql`${this.table.attempts} + 1` })
    if (matched === 0) await this.getExisting(id)
    return (await this.getExisting(id)).attempts
  }

  /** Whether the workflow reached a final status (`completed` or `cancelled`); `failed` may still be retried. */
  async isWorkflowDone(id: number): Promise<boolean> {
    return FINAL_STATUSES.includes((await this.getExisting(id)).status)
  }
}
