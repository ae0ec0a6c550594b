/**
 * Retention on the in-memory storage: `purge` deletes finished-and-closed executions older than
 * the age and keeps every row an unfinished parent or child still needs (the same known state
 * the command-line tests use on SQL), counts without deleting on a dry run, and refuses bad options.
 */
import { describe, expect, it } from 'vitest'
import { InMemoryTaskExecutionsStorage } from '../../src/core/index.js'
import { knownStateValues, SEEDED } from '../cli/known-state.js'

const DAY_MS = 86_400_000

async function seeded(): Promise<InMemoryTaskExecutionsStorage> {
  const storage = new InMemoryTaskExecutionsStorage()
  await storage.insertMany(knownStateValues(Date.now()))
  return storage
}

async function remainingIds(storage: InMemoryTaskExecutionsStorage): Promise<Array<string>> {
  const all = [...SEEDED.purgeable, ...SEEDED.kept]
  const found = await storage.getManyById(all.map((executionId) => ({ executionId, filters: {} })))
  return found.filter((value) => value !== undefined).map((value) => value.executionId).sort()
}

describe('InMemoryTaskExecutionsStorage.purge', () => {
  it('deletes only finished-and-closed rows past the age that no unfinished relative needs', async () => {
    const storage = await seeded()
    expect((await storage.purge({ olderThanMs: 7 * DAY_MS })).executions).toBe(SEEDED.purgeable.length)
    expect(await remainingIds(storage)).toEqual([...SEEDED.kept].sort())
  })

  it('counts without deleting on a dry run', async () => {
    const storage = await seeded()
    expect((await storage.purge({ olderThanMs: 7 * DAY_MS, dryRun: true })).executions).toBe(SEEDED.purgeable.length)
    expect(await remainingIds(storage)).toEqual([...SEEDED.purgeable, ...SEEDED.kept].sort())
  })

  it('with a younger age, also deletes what was closed an hour ago', async () => {
    const storage = await seeded()
    expect((await storage.purge({ olderThanMs: 60_000 })).executions).toBe(SEEDED.purgeable.length + 1)
    expect(await remainingIds(storage)).not.toContain('charge-recent')
  })

  it('refuses a negative age and a zero batch size, naming the value', async () => {
    const storage = await seeded()
    await expect(storage.purge({ olderThanMs: -1 })).rejects.toThrow('Invalid olderThanMs -1')
    await expect(storage.purge({ olderThanMs: 0, batchSize: 0 })).rejects.toThrow('Invalid batchSize 0')
  })
})
