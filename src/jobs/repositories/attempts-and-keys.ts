/** Job attempts (one row per run of a step) and idempotency keys (claimed once per scope). */
import { eq } from 'drizzle-orm'
import { randomUUID } from 'node:crypto'
import type { RepositoryContext } from '../base-repository.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables } from '../job-tables.js'
import type { IdempotencyKeyRow, JobAttemptRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import {
  IDEMPOTENCY_KEY_TRANSITIONS,
  JOB_ATTEMPT_TRANSITIONS,
  JobRecordNotFoundError,
  type IdempotencyKeyStatus,
  type JobAttemptStatus,
} from '../state-machines.js'

/** What starting an attempt takes; it starts `running` now. */
export type NewJobAttempt = InsertOf<JobAttemptRow, 'status' | 'startedAt'>

/** Job attempts. */
export class JobAttemptRepository extends StatefulRepository<JobAttemptRow, NewJobAttempt, JobAttemptStatus> {
  protected readonly entity = 'job attempt'
  protected readonly machine = JOB_ATTEMPT_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'jobAttempts'>) {
    super(context, tables.jobAttempts)
  }

  /** Records a `running` attempt; (step, attempt number) is unique. */
  async createAttempt(values: NewJobAttempt): Promise<JobAttemptRow> {
    return this.create({ status: 'running', startedAt: this.now(), ...values })
  }

  /** `running` → `succeeded` or `failed`, with the error of a failure. */
  async finishAttempt(id: number, outcome: { readonly status: 'succeeded' | 'failed'; readonly error?: unknown }): Promise<JobAttemptRow> {
    return this.transition(id, outcome.status, { error: outcome.error ?? null, finishedAt: this.now() })
  }
}

/** The outcome of a claim: whether this caller owns the key, and the key's row. */
export type IdempotencyClaim = {
  /** `true` for the first claimant only; the others see its row (and its result once completed). */
  readonly claimed: boolean
  readonly record: IdempotencyKeyRow
}

/** Idempotency keys. */
export class IdempotencyKeyRepository extends StatefulRepository<IdempotencyKeyRow, InsertOf<IdempotencyKeyRow, 'status'>, IdempotencyKeyStatus> {
  protected readonly entity = 'idempotency key'
  protected readonly machine = IDEMPOTENCY_KEY_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'idempotencyKeys'>) {
    super(context, tables.idempotencyKeys)
  }

  /**
   * Claims `key` in `scope`. The first caller gets `claimed: true`; every later caller (even a
   * concurrent one) gets `claimed: false` and the first claimant's row, with its result once
   * {@link complete} stored it.
   */
  async claim(scope: string, key: string): Promise<IdempotencyClaim> {
    const claimToken = randomUUID()
    // The unique (scope, key) lets exactly one insert land; the token tells whose it was.
    await this.session.insertRows(this.table, [{ scope, key, status: 'in_progress', claimToken, createdAt: this.now() }], 'ignore')
    const record = await this.find(scope, key)
    if (record === undefined) throw new JobRecordNotFoundError(`idempotency key ${JSON.stringify(`${scope}/${key}`)}`, 0)
    return { claimed: record.claimToken === claimToken, record }
  }

  /** The key's row, if claimed. */
  async find(scope: string, key: string): Promise<IdempotencyKeyRow | undefined> {
    return this.findOne({ scope, key })
  }

  /** `in_progress` → `completed`, storing the result later claimants receive. */
  async complete(record: Pick<IdempotencyKeyRow, 'id' | 'claimToken'>, result: unknown): Promise<IdempotencyKeyRow> {
    return this.transition(record.id, 'completed', { result: result ?? null, completedAt: this.now() }, eq(this.table.claimToken, record.claimToken))
  }
}

