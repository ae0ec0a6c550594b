/**
 * Runs one generated repository call on every backend at once and checks the answers: each
 * backend must give the model's answer (a success whose rows and values come back exactly, or
 * the predicted exported error class, naming the refused value), a refusal must leave the
 * tables as they were, and all backends must give the same answer.
 */
import type { Table } from 'drizzle-orm'
import { expect } from 'vitest'
import { DurableExecutionStorageError } from '../../../src/core/index.js'
import * as publicApi from '../../../src/index.js'
import { JobInputError, type RootJobStore } from '../../../src/jobs/index.js'
import { describeValue } from '../../../src/jobs/errors.js'
import { openFreshStore, uniqueTablePrefix, type OpenedJobStore } from '../../../src/testing/job-store-suite/harness.js'
import type { JobTestBackend } from '../backends.js'
import { CLOCK_START } from './arbitraries.js'
import type { ModelWorkflow } from './model.js'

/** An answer in terms every backend shares: a value with row ids replaced by creation order, or an error class. */
export type Answer = { readonly ok: unknown } | { readonly error: string; readonly kind?: string }

/** The model's state on one backend (its ids are that backend's). */
export class BackendModel {
  readonly workflows: Array<ModelWorkflow> = []
  readonly claimedKeys = new Set<string>()
  /** `${workflowId}/${name}` of every step. */
  readonly stepNames = new Set<string>()

  /** The creation index of a workflow id: the same on every backend, unlike the ids. */
  ordinalOf(id: unknown): unknown {
    const index = this.workflows.findIndex((row) => row.id === id)
    return index < 0 ? { unknownId: id } : index
  }

  /** A row with the workflow ids in it (`id` of a workflow, `workflowId` of a step) as creation indexes. */
  normalize(row: unknown): unknown {
    if (row === undefined || row === null || typeof row !== 'object') return row
    const record = row as Record<string, unknown>
    if ('workflowId' in record) return { ...record, workflowId: this.ordinalOf(record.workflowId) }
    return 'id' in record ? { ...record, id: this.ordinalOf(record.id) } : record
  }
}

/** A backend's store on fresh tables, its model, and the tables a refusal must leave alone. */
export type PropertyBackend = {
  readonly name: string
  readonly store: RootJobStore
  readonly model: BackendModel
  readonly opened: OpenedJobStore
}

/** The clock every property store reads; each case moves it one millisecond. */
export const propertyClock = { now: CLOCK_START, read: () => propertyClock.now }

/** Opens every backend on fresh tables with the shared clock. */
export async function openPropertyBackends(backends: ReadonlyArray<JobTestBackend>): Promise<Array<PropertyBackend>> {
  const prefix = uniqueTablePrefix()
  return Promise.all(
    backends.map(async (backend) => {
      const opened = await openFreshStore({ openStore: (tablePrefix) => backend.openStore(tablePrefix, propertyClock.read) }, prefix)
      return { name: backend.name, store: opened.store, model: new BackendModel(), opened }
    }),
  )
}

/** Every row of `table`, as a string that changes when any value does. */
export async function checksum(store: RootJobStore, table: Table): Promise<string> {
  return JSON.stringify(await store.session.selectRows(table))
}

const exportedClasses = new Set<unknown>(Object.values(publicApi))

/** The answer an error gives, after checking it is one of ours and names what it refused. */
export function answerOfError(error: unknown, backend: string): Answer {
  const errorClass = (error as { constructor?: unknown } | null)?.constructor
  expect(exportedClasses.has(errorClass), `${backend}: ${String(error)} is not an exported error class`).toBe(true)
  const typed = error as Error
  if (error instanceof JobInputError) {
    expect(typed.message, backend).toContain(error.field)
    expect(typed.message, backend).toContain(describeValue(error.value))
  }
  if (error instanceof DurableExecutionStorageError) {
    expect(typed.message, backend).not.toContain('Failed query')
    return { error: typed.constructor.name, kind: error.kind }
  }
  return { error: typed.constructor.name }
}

/** The answer the model predicts for a call, and how to update the model when the backend agrees. */
export type Prediction = {
  readonly answer: Answer
  /** Applies a successful call's effect to the model, given the backend's raw result. */
  readonly apply?: (result: unknown) => void
}

/**
 * Runs `call` on every backend at once and checks each answer against its model's prediction
 * and against the others'. Returns the answer (for the tally).
 */
export async function runOnEveryBackend(
  backends: ReadonlyArray<PropertyBackend>,
  writtenTable: (store: RootJobStore) => Table,
  predict: (model: BackendModel) => Prediction,
  call: (store: RootJobStore, model: BackendModel) => Promise<unknown>,
  normalize: (model: BackendModel, result: unknown) => unknown,
): Promise<Answer> {
  propertyClock.now++
  const answers = await Promise.all(
    backends.map(async ({ name, store, model }) => {
      const prediction = predict(model)
      const before = 'error' in prediction.answer ? await checksum(store, writtenTable(store)) : undefined
      let answer: Answer
      try {
        const result = await call(store, model)
        prediction.apply?.(result)
        answer = { ok: normalize(model, result) }
      } catch (error) {
        answer = answerOfError(error, name)
      }
      expect(answer, `${name} answers as the model says`).toEqual(prediction.answer)
      if (before !== undefined) expect(await checksum(store, writtenTable(store)), `${name}: a refused call wrote nothing`).toBe(before)
      return answer
    }),
  )
  for (const [index, answer] of answers.entries()) expect(answer, `${backends[index]!.name} answers as ${backends[0]!.name}`).toEqual(answers[0])
  return answers[0]!
}
