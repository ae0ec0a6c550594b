/**
 * Property tests of the job repositories (fast-check, `FAST_CHECK_RUNS` cases each, default
 * 1,000): generated calls, with good and bad names, keys, payloads, ids, filters and paging, run
 * on SQLite, PostgreSQL and MariaDB (and PGlite with `PROPERTY_PGLITE=1`) at once. Each answer must be the model's (an exact
 * round trip, or the predicted exported error naming the value), a refusal must leave the tables
 * unchanged, and every backend must answer alike. The case counts are printed.
 */
import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { RootJobStore, WorkflowRow, WorkflowStatus } from '../../../src/jobs/index.js'
import { jobTestBackends } from '../backends.js'
import {
  generatedOrder,
  generatedWhere,
  idRef,
  okLabel,
  taggedAttempts,
  taggedIncludeDeleted,
  taggedLabel,
  taggedPaging,
  taggedPayload,
  type GeneratedOrder,
  type GeneratedWhere,
  type IdRef,
  type Tagged,
} from './arbitraries.js'
import { openPropertyBackends, propertyClock, runOnEveryBackend, type Answer, type BackendModel, type Prediction, type PropertyBackend } from './harness.js'
import { asStored, matchingRows, sortRows, WORKFLOW_MOVES, type ModelWorkflow } from './model.js'
import { OutcomeTally, PROPERTY_RUNS } from './runs.js'

// PGlite (in-process, the PostgreSQL dialect again) joins with PROPERTY_PGLITE=1: it doubles the time.
const backends = await jobTestBackends({ pglite: process.env.PROPERTY_PGLITE === '1' })
const backendNames = backends.map((backend) => backend.name)
const NO_SUCH_ID = 987_654_321

const refused = (error: string, kind?: string): Prediction => ({ answer: kind === undefined ? { error } : { error, kind } })
const VALUE = 'InvalidJobValueError'
const FILTER = 'InvalidJobFilterError'
const OPTION = 'InvalidJobOptionError'
const STORAGE = 'DurableExecutionStorageError'

/** The id an `IdRef` names on this backend, and whether the repositories must take it. */
function resolveId(model: BackendModel, ref: IdRef): Tagged {
  if ('raw' in ref) return ref.raw
  const row = model.workflows[ref.existing % Math.max(1, model.workflows.length)]
  return { value: row?.id ?? NO_SUCH_ID, verdict: 'ok' }
}

const liveRow = (model: BackendModel, id: unknown) => model.workflows.find((row) => row.id === id && row.deletedAt === null)
const anyRow = (model: BackendModel, id: unknown) => model.workflows.find((row) => row.id === id)
const rowAnswer = (model: BackendModel, row: ModelWorkflow | undefined) => (row === undefined ? undefined : model.normalize({ ...row }))
const normalizeRow = (model: BackendModel, result: unknown) => model.normalize(result)

// --- repository calls -------------------------------------------------------------------------

type Call =
  | { readonly type: 'create'; readonly name: Tagged; readonly input: Tagged }
  | { readonly type: 'move'; readonly to: 'markRunning' | 'markCompleted' | 'markFailed' | 'pause' | 'resume'; readonly target: IdRef; readonly payload: Tagged }
  | { readonly type: 'claim'; readonly scope: Tagged; readonly key: Tagged }
  | { readonly type: 'createStep'; readonly target: IdRef; readonly name: Tagged }
  | { readonly type: 'findById'; readonly target: IdRef; readonly includeDeleted: Tagged }
  | { readonly type: 'deleteById'; readonly target: IdRef }

const call: fc.Arbitrary<Call> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('create' as const), name: taggedLabel, input: taggedPayload }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('move' as const),
      to: fc.constantFrom('markRunning' as const, 'markCompleted' as const, 'markFailed' as const, 'pause' as const, 'resume' as const),
      target: idRef,
      payload: taggedPayload,
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('claim' as const), scope: taggedLabel, key: taggedLabel }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('createStep' as const), target: idRef, name: taggedLabel }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('findById' as const), target: idRef, includeDeleted: taggedIncludeDeleted }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('deleteById' as const), target: idRef }) },
)

const TARGET_STATUS = { markRunning: 'running', markCompleted: 'completed', markFailed: 'failed', pause: 'paused', resume: 'pending' } as const

function predictCall(model: BackendModel, generated: Call): Prediction {
  const now = propertyClock.now
  switch (generated.type) {
    case 'create': {
      const { name, input } = generated
      if (name.verdict === 'invalid' || input.verdict === 'invalid') return refused(VALUE)
      if (name.verdict === 'null') return refused(STORAGE, 'not_null_violation')
      const row: ModelWorkflow = {
        id: -1, name: name.value as string, status: 'pending', input: asStored(input.value), output: null, error: null, attempts: 0,
        createdAt: now, updatedAt: now, startedAt: null, finishedAt: null, deletedAt: null,
      }
      return {
        answer: { ok: { ...row, id: model.workflows.length } },
        apply: (result) => model.workflows.push({ ...row, id: (result as WorkflowRow).id }),
      }
    }
    case 'move': {
      const id = resolveId(model, generated.target)
      const carriesPayload = generated.to === 'markCompleted' || generated.to === 'markFailed'
      if (id.verdict !== 'ok' || (carriesPayload && generated.payload.verdict === 'invalid')) return refused(VALUE)
      const row = liveRow(model, id.value)
      if (row === undefined) return refused('JobRecordNotFoundError')
      const to: WorkflowStatus = TARGET_STATUS[generated.to]
      if (!WORKFLOW_MOVES[to]!.includes(row.status)) return refused('InvalidTransitionError')
      const changes: Partial<ModelWorkflow> = { status: to, updatedAt: now }
      if (generated.to === 'markRunning') Object.assign(changes, { startedAt: now, finishedAt: null })
      if (generated.to === 'markCompleted') Object.assign(changes, { output: asStored(generated.payload.value), finishedAt: now })
      if (generated.to === 'markFailed') Object.assign(changes, { error: asStored(generated.payload.value), finishedAt: now })
      return { answer: { ok: rowAnswer(model, { ...row, ...changes }) }, apply: () => Object.assign(row, changes) }
    }
    case 'claim': {
      const { scope, key } = generated
      if (scope.verdict === 'invalid' || key.verdict === 'invalid') return refused(VALUE)
      if (scope.verdict === 'null' || key.verdict === 'null') return refused(STORAGE, 'not_null_violation')
      const pair = JSON.stringify([scope.value, key.value])
      return {
        answer: { ok: { claimed: !model.claimedKeys.has(pair), scope: scope.value, key: key.value, status: 'in_progress' } },
        apply: () => model.claimedKeys.add(pair),
      }
    }
    case 'createStep': {
      // As a value to insert (not a condition), a missing workflow id meets NOT NULL.
      const raw = 'raw' in generated.target && (generated.target.raw.value === null || generated.target.raw.value === undefined)
      const id: Tagged = raw ? { value: null, verdict: 'null' } : resolveId(model, generated.target)
      const { name } = generated
      if (name.verdict === 'invalid' || id.verdict === 'invalid') return refused(VALUE)
      if (name.verdict === 'null' || id.verdict === 'null') return refused(STORAGE, 'not_null_violation')
      if (anyRow(model, id.value) === undefined) return refused(STORAGE, 'foreign_key_violation')
      const stepKey = `${String(id.value)}/${name.value as string}`
      if (model.stepNames.has(stepKey)) return refused(STORAGE, 'unique_violation')
      return {
        answer: { ok: { workflowId: model.ordinalOf(id.value), name: name.value, status: 'pending', position: 0, attempts: 0, maxAttempts: 3 } },
        apply: () => model.stepNames.add(stepKey),
      }
    }
    case 'findById': {
      if (generated.includeDeleted.verdict === 'invalid') return refused(OPTION)
      const id = resolveId(model, generated.target)
      if (id.verdict !== 'ok') return refused(VALUE)
      const row = generated.includeDeleted.value === true ? anyRow(model, id.value) : liveRow(model, id.value)
      return { answer: { ok: rowAnswer(model, row) } }
    }
    case 'deleteById': {
      const id = resolveId(model, generated.target)
      if (id.verdict !== 'ok') return refused(VALUE)
      const row = liveRow(model, id.value)
      return { answer: { ok: row !== undefined }, apply: () => row !== undefined && Object.assign(row, { deletedAt: now }) }
    }
  }
}

async function runCall(store: RootJobStore, model: BackendModel, generated: Call): Promise<unknown> {
  const id = (ref: IdRef) => resolveId(model, ref).value as number
  switch (generated.type) {
    case 'create': {
      const created = await store.workflows.create({ name: generated.name.value as string, input: generated.input.value })
      // The row reads back exactly as create returned it.
      const found = await store.workflows.findById(created.id)
      if (JSON.stringify(found) !== JSON.stringify(created)) throw new Error(`read back ${JSON.stringify(found)} after creating ${JSON.stringify(created)}`)
      return created
    }
    case 'move': {
      const target = id(generated.target)
      const workflows = store.workflows
      if (generated.to === 'markCompleted') return workflows.markCompleted(target, generated.payload.value)
      if (generated.to === 'markFailed') return workflows.markFailed(target, generated.payload.value)
      return workflows[generated.to](target)
    }
    case 'claim': {
      const { claimed, record } = await store.idempotencyKeys.claim(generated.scope.value as string, generated.key.value as string)
      return { claimed, scope: record.scope, key: record.key, status: record.status }
    }
    case 'createStep': {
      const workflowId = 'raw' in generated.target ? (generated.target.raw.value as number) : id(generated.target)
      const step = await store.workflowSteps.createStep({ workflowId, name: generated.name.value as string })
      return { workflowId: step.workflowId, name: step.name, status: step.status, position: step.position, attempts: step.attempts, maxAttempts: step.maxAttempts }
    }
    case 'findById':
      return store.workflows.findById(id(generated.target), { includeDeleted: generated.includeDeleted.value as boolean })
    case 'deleteById':
      return store.workflows.deleteById(id(generated.target))
  }
}

// --- filters and paging -----------------------------------------------------------------------

type Query =
  | { readonly type: 'findMany'; readonly where: GeneratedWhere; readonly order: GeneratedOrder; readonly limit: Tagged; readonly offset: Tagged; readonly includeDeleted: Tagged }
  | { readonly type: 'count'; readonly where: GeneratedWhere; readonly includeDeleted: Tagged }
  | { readonly type: 'update'; readonly where: GeneratedWhere; readonly set: { readonly key: string; readonly value: Tagged } }
  | { readonly type: 'delete'; readonly where: GeneratedWhere }

/** A paging value that is only used with a total order, so every backend pages alike. */
const pagingFor = (order: GeneratedOrder, paging: Tagged): Tagged =>
  order.orderBy === undefined && paging.verdict === 'ok' ? { value: undefined, verdict: 'ok' } : paging

const setValue = fc.oneof(
  { weight: 3, arbitrary: taggedLabel.map((value) => ({ key: 'name', value })) },
  { weight: 2, arbitrary: taggedAttempts.map((value) => ({ key: 'attempts', value })) },
  { weight: 2, arbitrary: fc.constantFrom('completed', 'paused', 'COMPLETED', 'bogus', 'pending ').map((status) => ({ key: 'status', value: { value: status, verdict: 'ok' as const } })) },
  { weight: 1, arbitrary: taggedPayload.map((value) => ({ key: 'input', value })) },
  { weight: 1, arbitrary: fc.constantFrom('nope', 'toString', 'deleted_at').map((key) => ({ key, value: { value: 1, verdict: 'invalid' as const } })) },
)

const query: fc.Arbitrary<Query> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ where: generatedWhere, order: generatedOrder, limit: taggedPaging, offset: taggedPaging, includeDeleted: taggedIncludeDeleted })
      .map((q) => ({ type: 'findMany' as const, ...q, limit: pagingFor(q.order, q.limit), offset: pagingFor(q.order, q.offset) })),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('count' as const), where: generatedWhere, includeDeleted: taggedIncludeDeleted }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('update' as const), where: generatedWhere, set: setValue }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delete' as const), where: generatedWhere }) },
)

function predictQuery(model: BackendModel, generated: Query): Prediction {
  const now = propertyClock.now
  // update() refuses any status before it reads the filter: statuses move only through transitions.
  if (generated.type === 'update' && generated.set.key === 'status' && generated.set.value.value !== undefined) return refused(VALUE)
  const conditions = generated.where.conditions
  if (conditions === undefined) return refused(FILTER)
  switch (generated.type) {
    case 'findMany': {
      const { order, limit, offset, includeDeleted } = generated
      if (order.orderBy !== undefined && order.terms === undefined) return refused(FILTER)
      if (includeDeleted.verdict === 'invalid') return refused(OPTION)
      if (limit.verdict === 'invalid' || offset.verdict === 'invalid') return refused(OPTION)
      const rows = matchingRows(model.workflows, conditions, includeDeleted.value === true)
      const ordered = order.terms === undefined ? rows : sortRows(rows, order.terms)
      const start = (offset.value as number | undefined) ?? 0
      const paged = ordered.slice(start, limit.value === undefined ? undefined : start + (limit.value as number))
      return { answer: { ok: paged.map((row) => rowAnswer(model, row)) } }
    }
    case 'count': {
      if (generated.includeDeleted.verdict === 'invalid') return refused(OPTION)
      return { answer: { ok: matchingRows(model.workflows, conditions, generated.includeDeleted.value === true).length } }
    }
    case 'update': {
      const { key, value } = generated.set
      if (value.verdict === 'invalid') return refused(VALUE)
      const rows = matchingRows(model.workflows, conditions, false)
      if (rows.length > 0 && value.verdict === 'null') return refused(STORAGE, 'not_null_violation')
      // An undefined value is left out of the SET; only updatedAt changes.
      const changes: Partial<ModelWorkflow> = { updatedAt: now, ...(value.value === undefined ? {} : { [key]: key === 'input' ? asStored(value.value) : value.value }) }
      return { answer: { ok: rows.length }, apply: () => rows.forEach((row) => Object.assign(row, changes)) }
    }
    case 'delete': {
      const rows = matchingRows(model.workflows, conditions, false)
      return { answer: { ok: rows.length }, apply: () => rows.forEach((row) => Object.assign(row, { deletedAt: now })) }
    }
  }
}

async function runQuery(store: RootJobStore, generated: Query): Promise<unknown> {
  const workflows = store.workflows
  const where = generated.where.where as never
  switch (generated.type) {
    case 'findMany': {
      const rows = await workflows.findMany({
        where,
        orderBy: generated.order.orderBy as never,
        limit: generated.limit.value as number,
        offset: generated.offset.value as number,
        includeDeleted: generated.includeDeleted.value as boolean,
      })
      // Without an ordering the row order is the database's: compare in id order.
      return generated.order.orderBy === undefined ? rows.sort((a, b) => a.id - b.id) : rows
    }
    case 'count':
      return workflows.count(where, { includeDeleted: generated.includeDeleted.value as boolean })
    case 'update':
      return workflows.update(where, { [generated.set.key]: generated.set.value.value })
    case 'delete':
      return workflows.delete(where)
  }
}

/** Rows to filter: every column holds a spread of values, some rows are soft-deleted. */
async function seedWorkflows(propertyBackends: ReadonlyArray<PropertyBackend>): Promise<void> {
  const names = fc.sample(okLabel, { seed: 12, numRuns: 24 })
  const statuses: Array<WorkflowStatus> = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled']
  for (const [index, name] of names.entries()) {
    propertyClock.now += 7
    const set = {
      status: statuses[index % statuses.length]!,
      attempts: (index % 5) - 1,
      startedAt: index % 3 === 0 ? null : propertyClock.now - index,
      finishedAt: index % 4 === 0 ? propertyClock.now + index : null,
    }
    for (const { store, model } of propertyBackends) {
      const row = await store.workflows.create({ name, input: { index } })
      // Statuses set directly (repositories move them only through transitions), to cover every status in the filters.
      await store.session.updateRows(store.tables.workflows, { ...set, updatedAt: propertyClock.now }, sql`${store.tables.workflows.id} = ${row.id}`)
      model.workflows.push({ ...row, ...set, updatedAt: propertyClock.now, deletedAt: null })
      if (index % 6 === 5) {
        await store.workflows.deleteById(row.id)
        model.workflows.at(-1)!.deletedAt = propertyClock.now
      }
    }
  }
}

async function emptyTables(propertyBackends: ReadonlyArray<PropertyBackend>): Promise<void> {
  for (const { store, model } of propertyBackends) {
    // Steps go with their workflows (on delete cascade).
    await store.workflows.hardDelete({})
    await store.idempotencyKeys.hardDelete({})
    model.workflows.length = 0
    model.claimedKeys.clear()
    model.stepNames.clear()
  }
}

async function undeleteAll(propertyBackends: ReadonlyArray<PropertyBackend>): Promise<void> {
  for (const { store, model } of propertyBackends) {
    await store.session.updateRows(store.tables.workflows, { deletedAt: null }, undefined)
    for (const row of model.workflows) row.deletedAt = null
  }
}

describe(`job repositories, ${PROPERTY_RUNS} generated cases per property on ${backendNames.join(', ')}`, () => {
  let propertyBackends: Array<PropertyBackend> = []
  beforeAll(async () => {
    propertyBackends = await openPropertyBackends(backends)
  }, 120_000)
  afterAll(async () => {
    await Promise.all(propertyBackends.map(async (backend) => backend.opened.close()))
  })

  it('answer repository calls exactly or with the predicted exported error, alike on every backend', async () => {
    const tally = new OutcomeTally()
    // The table a call writes to, whose rows a refusal must leave as they were.
    const tableOf = (generated: Call) => (store: RootJobStore) =>
      generated.type === 'claim' ? store.tables.idempotencyKeys : generated.type === 'createStep' ? store.tables.workflowSteps : store.tables.workflows
    await fc.assert(
      fc.asyncProperty(call, async (generated) => {
        // Bounded tables keep each case (and the checksums of refusals) as cheap as the first.
        if (propertyBackends[0]!.model.workflows.length >= 150) await emptyTables(propertyBackends)
        const answer: Answer = await runOnEveryBackend(propertyBackends, tableOf(generated), (model) => predictCall(model, generated), (store, model) => runCall(store, model, generated), normalizeRow)
        tally.add('ok' in answer ? `ok ${generated.type}` : answer.error)
      }),
      { numRuns: PROPERTY_RUNS, endOnFailure: true },
    )
    tally.print('repository calls', backendNames)
  }, 600_000)

  it('answer filtered, ordered and paged reads and writes exactly or with the predicted exported error, alike on every backend', async () => {
    const tally = new OutcomeTally()
    // A table of its own, seeded with a spread of values.
    const filterBackends = await openPropertyBackends(backends)
    try {
      await seedWorkflows(filterBackends)
      await fc.assert(
        fc.asyncProperty(query, async (generated) => {
          // Soft deletes would empty the table after a while: bring rows back to keep filtering a spread.
          if (filterBackends[0]!.model.workflows.filter((row) => row.deletedAt === null).length < 8) await undeleteAll(filterBackends)
          const answer = await runOnEveryBackend(
            filterBackends,
            (store) => store.tables.workflows,
            (model) => predictQuery(model, generated),
            (store) => runQuery(store, generated),
            (model, result) => (Array.isArray(result) ? result.map((row) => model.normalize(row)) : result),
          )
          tally.add('ok' in answer ? `ok ${generated.type}` : answer.error)
        }),
        { numRuns: PROPERTY_RUNS, endOnFailure: true },
      )
    } finally {
      await Promise.all(filterBackends.map(async (backend) => backend.opened.close()))
    }
    tally.print('filters and paging', backendNames)
  }, 600_000)
})
