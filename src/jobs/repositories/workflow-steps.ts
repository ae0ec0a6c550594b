/**
 * Workflow steps: creation, claims with leases (exactly one worker holds a step; an expired lease
 * lets another reclaim it), success and failure with retries, and the queries of a scheduler.
 * Steps of equal `position` form a parallel group; a step is runnable once every step of a lower
 * position succeeded or was skipped.
 */
import { and, asc, eq, inArray, lt, min, or, sql, type SQL } from 'drizzle-orm'
import type { RepositoryContext } from '../base-repository.js'
import { InvalidJobOptionError } from '../errors.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables } from '../job-tables.js'
import type { WorkflowStepRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import { WORKFLOW_STEP_TRANSITIONS, type WorkflowStepStatus } from '../state-machines.js'

/** What creating a step takes; it starts `pending` at position 0 with 3 attempts allowed. */
export type NewWorkflowStep = InsertOf<WorkflowStepRow, 'status' | 'position' | 'attempts' | 'maxAttempts'>

/** Who claims a step, for how long, and optionally which step. */
export type ClaimStepRequest = {
  readonly workflowId: number
  /** Recorded as `claimedBy`; later writes by this worker are checked against it. */
  readonly workerId: string
  /** How long the claim lasts before another worker may reclaim the step. */
  readonly leaseMs: number
  /** Claim this step (when runnable) instead of the next runnable one. */
  readonly stepId?: number
}

/** Statuses that keep later positions from running. */
const BLOCKING_STATUSES: Array<WorkflowStepStatus> = ['pending', 'running', 'failed']

/** Workflow steps. */
export class WorkflowStepRepository extends StatefulRepository<WorkflowStepRow, NewWorkflowStep, WorkflowStepStatus> {
  protected readonly entity = 'workflow step'
  protected readonly machine = WORKFLOW_STEP_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'workflowSteps'>) {
    super(context, tables.workflowSteps)
  }

  /** Creates a `pending` step. */
  async createStep(values: NewWorkflowStep): Promise<WorkflowStepRow> {
    return this.create({ status: 'pending', position: 0, attempts: 0, maxAttempts: 3, ...values })
  }

  /**
   * Claims the next runnable step of the workflow (or `stepId`), in one transaction: the row is
   * read with the dialect's claim lock and updated only while still claimable, so of several
   * concurrent workers exactly one gets each step. Counts an attempt.
   * @returns the claimed step, or `undefined` when none is runnable.
   */
  async claimStep(request: ClaimStepRequest): Promise<WorkflowStepRow | undefined> {
    if (!Number.isSafeInteger(request.leaseMs) || request.leaseMs <= 0) {
      throw new InvalidJobOptionError('leaseMs', request.leaseMs, 'expected a positive integer of milliseconds.')
    }
    return this.session.transaction(async (session) => {
      const steps = new WorkflowStepRepository({ session, now: this.now }, { workflowSteps: this.table })
      return steps.claimInTransaction(request)
    })
  }

  private async claimInTransaction(request: ClaimStepRequest): Promise<WorkflowStepRow | undefined> {
    const now = this.now()
    const claimable = await this.runnableCondition(request.workflowId, now, request.stepId)
    if (claimable === undefined) return undefined
    // Locks the chosen row; concurrent claimers skip it (SKIP LOCKED) and take the next one.
    const [candidate] = await this.session.selectRowsToClaim(this.table, {
      where: claimable,
      orderBy: [asc(this.table.position), asc(this.table.id)],
      limit: 1,
    })
    if (candidate === undefined) return undefined
    const id = Number(candidate.id)
    // Re-checks claimability, so a claim never overwrites another worker's live lease.
    const matched = await this.updateWhere(and(eq(this.table.id, id), claimable), {
      status: 'running',
      claimedBy: request.workerId,
      leaseExpiresAt: now + request.leaseMs,
      attempts: sql`${this.table.attempts} + 1`,
      startedAt: now,
    })
    return matched === 0 ? undefined : this.findById(id)
  }

  /** Pending steps, or running ones whose lease expired, at the workflow's current position (or `stepId`). */
  private async runnableCondition(workflowId: number, now: number, stepId?: number): Promise<SQL | undefined> {
    const t = this.table
    const claimableState = or(eq(t.status, 'pending'), and(eq(t.status, 'running'), lt(t.leaseExpiresAt, now)))
    if (stepId !== undefined) return and(eq(t.workflowId, workflowId), eq(t.id, stepId), claimableState)
    const position = await this.currentPosition(workflowId)
    if (position === undefined) return undefined
    return and(eq(t.workflowId, workflowId), eq(t.position, position), claimableState)
  }

  /** The lowest position that still has unfinished steps: the parallel group that may run now. */
  private async currentPosition(workflowId: number): Promise<number | undefined> {
    const [row] = await this.session.selectRows(this.table, {
      fields: { position: min(this.table.position) },
      where: and(eq(this.table.workflowId, workflowId), inArray(this.table.status, BLOCKING_STATUSES)),
    })
    return row?.position == null ? undefined : Number(row.position)
  }

  /**
   * `running` → `succeeded`, storing the output and releasing the lease.
   * @param stepId - the step.
   * @param options - `output` to store; `workerId`, when given, lets only the worker holding the claim finish it (fencing).
   */
  async markStepSuccess(stepId: number, options: { readonly output?: unknown; readonly workerId?: string } = {}): Promise<WorkflowStepRow> {
    return this.transition(
      stepId,
      'succeeded',
      { output: options.output ?? null, finishedAt: this.now(), leaseExpiresAt: null },
      this.holderCondition(options.workerId),
    )
  }

  /**
   * A failed run: back to `pending` while attempts remain, else `failed`. Releases the lease.
   * @param stepId - the step.
   * @param options - `error` to store; `workerId`, when given, lets only the worker holding the claim fail it (fencing).
   */
  async markStepFailed(stepId: number, options: { readonly error?: unknown; readonly workerId?: string } = {}): Promise<WorkflowStepRow> {
    const step = await this.getExisting(stepId)
    const to: WorkflowStepStatus = step.attempts < step.maxAttempts ? 'pending' : 'failed'
    return this.transition(
      stepId,
      to,
      { error: options.error ?? null, leaseExpiresAt: null, claimedBy: null, finishedAt: to === 'failed' ? this.now() : null },
      and(eq(this.table.attempts, step.attempts), this.holderCondition(options.workerId)),
    )
  }

  private holderCondition(workerId: string | undefined): SQL | undefined {
    return workerId === undefined ? undefined : eq(this.table.claimedBy, workerId)
  }

  /** The workflow's `pending` steps in position order. */
  async findPendingSteps(workflowId: number): Promise<Array<WorkflowStepRow>> {
    return this.findMany({ where: { workflowId, status: 'pending' }, orderBy: { position: 'asc', id: 'asc' } })
  }

  /** How many of the workflow's steps are in each status (every status present). */
  async countStepsByStatus(workflowId: number): Promise<Record<WorkflowStepStatus, number>> {
    return this.countByStatus(eq(this.table.workflowId, workflowId))
  }

  /** The steps of one parallel group, in position order. */
  async findStepsInParallelGroup(workflowId: number, parallelGroup: string): Promise<Array<WorkflowStepRow>> {
    return this.findMany({ where: { workflowId, parallelGroup }, orderBy: { position: 'asc', id: 'asc' } })
  }

  /** The step `claimStep` would claim now (without claiming it), if any. */
  async findNextRunnableStep(workflowId: number): Promise<WorkflowStepRow | undefined> {
    const where = await this.runnableCondition(workflowId, this.now())
    if (where === undefined) return undefined
    const [row] = await this.selectRows(where, {}, { orderBy: [asc(this.table.position), asc(this.table.id)], limit: 1 })
    return row
  }

  /** Steps whose lease expired while running (crashed or stalled workers). */
  async findExpiredLeases(workflowId: number): Promise<Array<WorkflowStepRow>> {
    const t = this.table
    return this.selectRows(and(eq(t.workflowId, workflowId), eq(t.status, 'running'), lt(t.leaseExpiresAt, this.now())))
  }
}
