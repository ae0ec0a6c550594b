/**
 * Workflow steps: creation, claims with leases (exactly one worker holds a step; an expired lease
 * lets another reclaim it, within the same claim, unless it expired after the step's last attempt:
 * then that claim fails the step), lease renewal, success and failure with retries after a
 * backoff, and the queries of a scheduler. Steps of equal `position` form a
 * parallel group; a step is runnable once every step of a lower position succeeded or was
 * skipped, its `availableAt` has come, and its workflow is `pending` or `running` (not paused,
 * cancelled, finished or soft-deleted). Every claim path applies all of these rules in SQL.
 */
import { and, asc, eq, gte, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm'
import { caseByKeyExpression } from '../../sql/flat-statements.js'
import type { RepositoryContext } from '../base-repository.js'
import { claimRows, type RowClaimInstead } from '../claim-rows.js'
import { InvalidJobOptionError, InvalidJobValueError } from '../errors.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables, TableOf } from '../job-tables.js'
import type { WorkflowHistoryRow, WorkflowRow, WorkflowStepRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import { runTransaction } from '../transactions.js'
import { WORKFLOW_STEP_TRANSITIONS, type WorkflowStatus, type WorkflowStepStatus } from '../state-machines.js'

/** What creating a step takes; it starts `pending` at position 0 with 3 attempts allowed, available now. */
export type NewWorkflowStep = Omit<InsertOf<WorkflowStepRow, 'status' | 'position' | 'attempts' | 'maxAttempts' | 'availableAt'>, 'status'> & {
  /** Steps are created `pending` only. */
  readonly status?: 'pending'
}

/** Who claims a step and for how long. */
export type StepLeaseRequest = {
  /** Recorded as `claimedBy`; later writes by this worker are checked against it. */
  readonly workerId: string
  /** How long the claim lasts before another worker may reclaim the step. */
  readonly leaseMs: number
}

/** Who claims a step of one workflow, for how long, and optionally which step. */
export type ClaimStepRequest = StepLeaseRequest & {
  readonly workflowId: number
  /** Claim this step (when runnable) instead of the next runnable one. */
  readonly stepId?: number
}

/** Who claims the next runnable step of any workflow, for how long, and optionally of which workflows. */
export type ClaimNextStepRequest = StepLeaseRequest & {
  /** Only steps of workflows with this `name` (the workflow's type). */
  readonly workflowName?: string
}

/** Which step's lease to renew, for whom and for how long. */
export type RenewLeaseRequest = StepLeaseRequest & { readonly stepId: number }

/** Statuses that keep later positions from running. */
const BLOCKING_STATUSES: ReadonlyArray<WorkflowStepStatus> = ['pending', 'running', 'failed']
/** Workflow statuses whose steps may be claimed. */
const CLAIMABLE_WORKFLOW_STATUSES: ReadonlyArray<WorkflowStatus> = ['pending', 'running']
/** `availableAt` of a finished step: past every clock, so the claim's range over `availableAt` never reaches it. */
const NEVER_AVAILABLE = Number.MAX_SAFE_INTEGER
/** The retry delay when `markStepFailed` is given none: doubling from one second, at most five minutes. */
const defaultRetryDelayMs = (attempts: number) => Math.min(1_000 * 2 ** Math.max(attempts - 1, 0), MAX_DEFAULT_RETRY_DELAY_MS)
const MAX_DEFAULT_RETRY_DELAY_MS = 300_000
/** The attempt counts whose default delay is below the cap (from 10 attempts on it is five minutes). */
const UNCAPPED_ATTEMPTS = Array.from({ length: 10 }, (_, attempts) => attempts)

/** The history event written when a claim or `failExpiredLastAttempts` fails a step whose lease expired after its last attempt. */
export const LEASE_EXPIRED_EVENT = 'step_lease_expired'
/** The `error` stored on such a step. */
export const LEASE_EXPIRED_ERROR = {
  name: 'StepLeaseExpiredError',
  message:
    'The lease of the last attempt expired (attempts reached maxAttempts): the step is failed, not claimed again. Renew the leases of long steps (renewLease) or raise maxAttempts.',
} as const

const statusList = (statuses: ReadonlyArray<string>) => sql.join(statuses.map((status) => sql`${status}`), sql`, `)

/** Which steps a claim or a lookup considers. */
type StepFilter = { readonly workflowId?: number; readonly stepId?: number; readonly workflowName?: string }

/** Workflow steps. */
export class WorkflowStepRepository extends StatefulRepository<WorkflowStepRow, NewWorkflowStep, WorkflowStepStatus> {
  protected readonly entity = 'workflow step'
  protected readonly machine = WORKFLOW_STEP_TRANSITIONS
  private readonly workflows: TableOf<WorkflowRow>
  private readonly history: TableOf<WorkflowHistoryRow>

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'workflowSteps' | 'workflows' | 'workflowHistory'>) {
    super(context, tables.workflowSteps)
    this.workflows = tables.workflows
    this.history = tables.workflowHistory
  }

  /** Creates a `pending` step. */
  async createStep(values: NewWorkflowStep): Promise<WorkflowStepRow> {
    return this.create(values)
  }

  /** Inserts a step, `pending` at position 0 with 3 attempts allowed and available now unless given. */
  override async create(values: NewWorkflowStep): Promise<WorkflowStepRow> {
    return super.create(this.withDefaults(values))
  }

  /** Inserts steps (each `pending`), with the defaults of {@link create}. */
  override async createMany(values: ReadonlyArray<NewWorkflowStep>): Promise<void> {
    return super.createMany(this.checkedList(values).map((row) => this.withDefaults(row)))
  }

  private withDefaults(values: NewWorkflowStep): NewWorkflowStep {
    this.checkedValues(values)
    const step = { status: 'pending' as const, position: 0, attempts: 0, maxAttempts: 3, availableAt: this.now(), ...values }
    // A pending step always has an attempt left, so no claim ever runs it more than maxAttempts times.
    if (typeof step.attempts === 'number' && typeof step.maxAttempts === 'number' && step.attempts >= step.maxAttempts) {
      throw new InvalidJobValueError('attempts', step.attempts, `a new step needs an attempt left: attempts (${step.attempts}) must be below maxAttempts (${step.maxAttempts}).`)
    }
    return step
  }

  /**
   * Claims the next runnable step of the workflow (or `stepId`, when it is runnable), recovering
   * an expired lease in the same claim: of several concurrent workers exactly one gets each step.
   * Counts an attempt.
   * @returns the claimed step, or `undefined` when none is runnable.
   */
  async claimStep(request: ClaimStepRequest): Promise<WorkflowStepRow | undefined> {
    return this.claim(request, { workflowId: request.workflowId, stepId: request.stepId })
  }

  /**
   * Claims the runnable step of any workflow (optionally only workflows named `workflowName`) that
   * has been available longest, under the same rules as {@link claimStep}.
   * @returns the claimed step, or `undefined` when none is runnable.
   */
  async claimNextStep(request: ClaimNextStepRequest): Promise<WorkflowStepRow | undefined> {
    return this.claim(request, { workflowName: request.workflowName })
  }

  private async claim(request: StepLeaseRequest, filter: StepFilter): Promise<WorkflowStepRow | undefined> {
    checkLease(request)
    const t = this.table
    // Each round that takes a step whose lease expired after its last attempt fails it (it is no
    // longer claimable afterwards), so the loop ends.
    for (;;) {
      const now = this.now()
      const leaseExpiresAt = now + request.leaseMs
      const [claimed] = (await claimRows(this.session, t, {
        where: this.runnableCondition(now, filter),
        recheck: this.claimableState(now),
        orderBy: [asc(t.availableAt), asc(t.id)],
        limit: 1,
        set: {
          status: 'running',
          claimedBy: request.workerId,
          leaseExpiresAt,
          availableAt: leaseExpiresAt,
          attempts: sql`${t.attempts} + 1`,
          startedAt: now,
          updatedAt: now,
        },
        // A running candidate's lease expired (else it is no candidate); after the last attempt it
        // fails instead of running once more than allowed. (A pending step always has one left.)
        instead: this.failedAfterLastAttempt(now, eq(t.status, 'running')),
      })) as Array<WorkflowStepRow>
      if (claimed?.status !== 'failed') return claimed
      await this.logLeaseExpiries(this.session, [claimed], now)
    }
  }

  /** Fails the steps meeting `when` (lease expired after their last attempt): `running` → `failed`. */
  private failedAfterLastAttempt(now: number, when: SQL | undefined): RowClaimInstead {
    const t = this.table
    return {
      when: and(when, gte(t.attempts, t.maxAttempts))!,
      set: {
        status: 'failed',
        claimedBy: null,
        leaseExpiresAt: null,
        availableAt: NEVER_AVAILABLE,
        finishedAt: now,
        error: LEASE_EXPIRED_ERROR,
        updatedAt: now,
      },
    }
  }

  /** One history event per step failed because its lease expired after its last attempt. */
  private async logLeaseExpiries(session: typeof this.session, steps: ReadonlyArray<WorkflowStepRow>, now: number): Promise<void> {
    if (steps.length === 0) return
    await session.insertRows(
      this.history,
      steps.map((step) => ({
        workflowId: step.workflowId,
        stepId: step.id,
        event: LEASE_EXPIRED_EVENT,
        data: { attempts: step.attempts, maxAttempts: step.maxAttempts, error: LEASE_EXPIRED_ERROR.message },
        createdAt: now,
      })),
    )
  }

  /**
   * Fails every step whose lease expired after its last attempt (`running` → `failed`, with
   * {@link LEASE_EXPIRED_ERROR} and a {@link LEASE_EXPIRED_EVENT} history event, in one
   * transaction), whatever its workflow's status: claims do this for the steps they would take;
   * this recovery sweep does it for the rest (e.g. of paused workflows, or when no one claims).
   * Steps other callers are claiming are skipped.
   * @param options - `limit`: most steps failed by one call (default 1,000).
   * @returns the failed steps.
   */
  async failExpiredLastAttempts(options: { readonly limit?: number } = {}): Promise<Array<WorkflowStepRow>> {
    const { limit = 1_000 } = options
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new InvalidJobOptionError('limit', limit, 'expected a positive integer: most steps failed by one call.')
    const t = this.table
    const now = this.now()
    const expired = and(lt(t.availableAt, now), eq(t.status, 'running'), lt(t.leaseExpiresAt, now))
    const { when, set } = this.failedAfterLastAttempt(now, expired)
    return runTransaction(this.session, async (tx) => {
      const failed = (await claimRows(tx, t, { where: when, recheck: when, orderBy: [asc(t.availableAt), asc(t.id)], limit, set })) as Array<WorkflowStepRow>
      await this.logLeaseExpiries(tx, failed, now)
      return failed
    })
  }

  /**
   * A step's own claimable state: pending and due, or running with its lease expired (a claim
   * fails instead of taking it when that was its last attempt). The range
   * on `availableAt` comes first: its index yields candidates in claim order, and finished steps
   * lie outside it.
   */
  private claimableState(now: number): SQL | undefined {
    const t = this.table
    return and(
      lte(t.availableAt, now),
      inArray(t.status, ['pending', 'running']),
      or(eq(t.status, 'pending'), lt(t.leaseExpiresAt, now)),
    )
  }

  /** Claimable steps (see the module comment) matching `filter`. */
  private runnableCondition(now: number, filter: StepFilter): SQL | undefined {
    const t = this.table
    const w = this.workflows
    const earlier = sql.identifier('earlier_step')
    const earlierColumn = (name: string) => sql`${earlier}.${sql.identifier(name)}`
    return and(
      filter.workflowId === undefined ? undefined : eq(t.workflowId, filter.workflowId),
      filter.stepId === undefined ? undefined : eq(t.id, filter.stepId),
      this.claimableState(now),
      // The workflow lets its steps run: not paused, cancelled, finished or soft-deleted.
      sql`exists (select 1 from ${w} where ${and(
        eq(w.id, t.workflowId),
        inArray(w.status, [...CLAIMABLE_WORKFLOW_STATUSES]),
        isNull(w.deletedAt),
        filter.workflowName === undefined ? undefined : eq(w.name, filter.workflowName),
      )})`,
      filter.workflowId === undefined
        // The position rule: no unfinished step of the same workflow at a lower position.
        ? sql`not exists (select 1 from ${t} ${earlier} where ${earlierColumn(t.workflowId.name)} = ${t.workflowId} and ${earlierColumn(t.position.name)} < ${t.position} and ${earlierColumn(t.status.name)} in (${statusList(BLOCKING_STATUSES)}))`
        // The same rule for one workflow: its lowest unfinished position, computed once per statement
        // (a subquery that names no outer row), where the correlated form costs a scan per candidate.
        : sql`${t.position} = (select min(${earlierColumn(t.position.name)}) from ${t} ${earlier} where ${earlierColumn(t.workflowId.name)} = ${filter.workflowId} and ${earlierColumn(t.status.name)} in (${statusList(BLOCKING_STATUSES)}))`,
    )
  }

  /**
   * Extends the lease of a step the worker holds, to `leaseMs` from now.
   * @throws JobNotHeldError when the step is not running under this worker (its lease was
   *   reclaimed, or it finished); InvalidTransitionError when it is final.
   */
  async renewLease(request: RenewLeaseRequest): Promise<WorkflowStepRow> {
    checkLease(request)
    const leaseExpiresAt = this.now() + request.leaseMs
    return this.transition(
      request.stepId,
      'running',
      { leaseExpiresAt, availableAt: leaseExpiresAt },
      and(eq(this.table.status, 'running'), this.holderCondition(request.workerId)),
    )
  }

  /**
   * `running` → `succeeded`, storing the output and releasing the lease. Only the worker holding
   * the claim may finish it (fencing).
   * @param stepId - the step.
   * @param options - `workerId`, the claim's holder; `output` to store.
   */
  async markStepSuccess(stepId: number, options: { readonly workerId: string; readonly output?: unknown }): Promise<WorkflowStepRow> {
    return this.transition(
      stepId,
      'succeeded',
      { output: options.output ?? null, finishedAt: this.now(), leaseExpiresAt: null, availableAt: NEVER_AVAILABLE },
      this.holderCondition(options.workerId),
    )
  }

  /**
   * A failed run: back to `pending`, claimable again after a backoff, while attempts remain; else
   * `failed`. Releases the lease. Only the worker holding the claim may fail it (fencing).
   * @param stepId - the step.
   * @param options - `workerId`, the claim's holder; `error` to store; `retryDelayMs`, how long a
   *   retried step waits before it is claimable (default: doubling from one second, at most five minutes).
   */
  async markStepFailed(
    stepId: number,
    options: { readonly workerId: string; readonly error?: unknown; readonly retryDelayMs?: number },
  ): Promise<WorkflowStepRow> {
    const { retryDelayMs } = options
    if (retryDelayMs !== undefined && (!Number.isSafeInteger(retryDelayMs) || retryDelayMs < 0)) {
      throw new InvalidJobOptionError('retryDelayMs', retryDelayMs, 'expected a non-negative integer of milliseconds.')
    }
    const t = this.table
    const now = this.now()
    const typed = (value: unknown, column: typeof t.availableAt) => this.session.typedValue(value, column)
    // One UPDATE decides: retried (attempts left, available after the delay) or failed.
    const retried = lt(t.attempts, t.maxAttempts)
    const either = (ifRetried: SQL, ifFailed: SQL) => sql`(case when ${retried} then ${ifRetried} else ${ifFailed} end)`
    const retryAt =
      retryDelayMs !== undefined
        ? typed(now + retryDelayMs, t.availableAt)
        : caseByKeyExpression(
            t.attempts,
            UNCAPPED_ATTEMPTS.map((attempts) => [attempts, [typed(now + defaultRetryDelayMs(attempts), t.availableAt)]] as const),
            typed(now + MAX_DEFAULT_RETRY_DELAY_MS, t.availableAt),
          )
    return this.transition(
      stepId,
      {
        among: ['pending', 'failed'],
        status: either(typed('pending', t.status), typed('failed', t.status)),
        targetFor: (step) => (step.attempts < step.maxAttempts ? 'pending' : 'failed'),
      },
      {
        error: options.error ?? null,
        leaseExpiresAt: null,
        claimedBy: null,
        finishedAt: either(sql`null`, typed(now, t.finishedAt)),
        availableAt: either(retryAt, typed(NEVER_AVAILABLE, t.availableAt)),
      },
      this.holderCondition(options.workerId),
    )
  }

  /** `pending` → `skipped` (final): the step will not run, and later positions need not wait for it. */
  async skipStep(stepId: number): Promise<WorkflowStepRow> {
    return this.transition(stepId, 'skipped', { finishedAt: this.now(), availableAt: NEVER_AVAILABLE })
  }

  private holderCondition(workerId: unknown): SQL {
    if (typeof workerId !== 'string' || workerId === '') {
      throw new InvalidJobOptionError('workerId', workerId, 'expected the id of the worker holding the claim (the workerId it claimed with).')
    }
    return eq(this.table.claimedBy, workerId)
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
    const t = this.table
    const [row] = await this.selectRows(this.runnableCondition(this.now(), { workflowId }), {}, { orderBy: [asc(t.availableAt), asc(t.id)], limit: 1 })
    return row
  }

  /**
   * Steps whose lease expired while running (crashed or stalled workers) with attempts left, of
   * one workflow or of all: the next claim recovers them. A lease that expired after the step's
   * last attempt is not listed: the claim that reaches the step fails it, and
   * {@link failExpiredLastAttempts} fails all of them.
   */
  async findExpiredLeases(workflowId?: number): Promise<Array<WorkflowStepRow>> {
    const t = this.table
    const now = this.now()
    return this.selectRows(
      and(
        workflowId === undefined ? undefined : eq(t.workflowId, workflowId),
        lt(t.availableAt, now),
        eq(t.status, 'running'),
        lt(t.leaseExpiresAt, now),
        lt(t.attempts, t.maxAttempts),
      ),
      {},
      { orderBy: [asc(t.availableAt), asc(t.id)] },
    )
  }
}

function checkLease(request: StepLeaseRequest): void {
  if (!Number.isSafeInteger(request.leaseMs) || request.leaseMs <= 0) {
    throw new InvalidJobOptionError('leaseMs', request.leaseMs, 'expected a positive integer of milliseconds.')
  }
}
