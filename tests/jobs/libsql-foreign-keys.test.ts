/**
 * libsql and foreign keys: SQLite enforces them only on connections where they are on, and
 * libsql's client opens more connections on demand (one per open transaction). libsql turns them
 * on for every connection it opens; these tests fail if a release stops doing so.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@libsql/client'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createDatabase, withTransaction, type JobDatabase } from '../../src/jobs-entry.js'

let directory: string
let database: JobDatabase
const clientOf = (opened: JobDatabase) => (opened.db as unknown as { $client: Client }).$client

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'jobs-libsql-'))
  database = await createDatabase({ url: `libsql:${join(directory, 'jobs.db')}`, ensureTables: true, loadEnvFile: false })
})
afterEach(async () => {
  await database.close()
  rmSync(directory, { recursive: true, force: true })
})

it('enforces foreign keys on the second connection libsql opens while a transaction holds the first', async () => {
  const client = clientOf(database)
  const seenInside = await withTransaction(database, async (tx) => {
    await tx.workflows.create({ name: 'holding the connection' })
    // The transaction holds the client's connection, so this runs on a fresh one.
    return Number((await client.execute('pragma foreign_keys')).rows[0]?.[0])
  })
  expect(seenInside).toBe(1)
  expect(Number((await client.execute('pragma foreign_keys')).rows[0]?.[0])).toBe(1)
})

it('rejects a step of a missing workflow after many transactions', async () => {
  for (let round = 0; round < 5; round++) {
    await withTransaction(database, async (tx) => tx.workflows.create({ name: `w${round}` }))
  }
  await expect(database.workflowSteps.createStep({ workflowId: 424_242, name: 'orphan' })).rejects.toThrow()
  await expect(withTransaction(database, async (tx) => tx.workflowSteps.createStep({ workflowId: 424_242, name: 'orphan' }))).rejects.toThrow()
  expect(await database.workflowSteps.count()).toBe(0)
})
