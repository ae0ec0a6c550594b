import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { TaskExecutionStorageValue } from '../../../src/core/storage.js'
import {
  CRASH_CHILDREN_PER_PARENT,
  CRASH_EXPIRE_LEEWAY_MS,
  CRASH_SEQUENCE_STEPS,
  defineCrashTasks,
} from './fixtures/crash-tasks.js'
import { spawnFixture, waitForExit } from './fixtures/run-fixture.js'

const PARENTS = 8
const SEQUENCES = 4

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function waitUntil(description: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${description}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

type SideEffect = { phase: string; kind: string; event: string; executionId: string }

function readSideEffects(path: string): Array<SideEffect> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [phase, kind, event, executionId] = line.split(' ') as [string, string, string, string]
      return { phase, kind, event, executionId }
    })
}

/** Every row of the workload: the top-level rows and, recursively, their children. */
async function readWorkloadRows(
  storage: InMemoryTaskExecutionsStorage,
  topLevelIds: Array<string>,
): Promise<Array<TaskExecutionStorageValue>> {
  const rows = (await storage.getManyById(topLevelIds.map((executionId) => ({ executionId })))).filter(
    (row): row is TaskExecutionStorageValue => row !== undefined,
  )
  for (let index = 0; index < rows.length; index++) {
    const [children] = await storage.getManyByParentExecutionId([
      { parentExecutionId: (rows[index] as TaskExecutionStorageValue).executionId },
    ])
    rows.push(...(children ?? []))
  }
  return rows
}

describe('crash recovery in a real process', () => {
  it('finishes every task after the process running them is SIGKILLed mid-run, without losing or re-completing anything', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'durable-crash-'))
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }))
    const storePath = join(directory, 'store.json')
    const sideEffectPath = join(directory, 'side-effects.log')
    writeFileSync(sideEffectPath, '')

    // Phase 1: a process runs the workload slowly and is killed without warning mid-run.
    const child = spawnFixture('crash-child.ts', [
      storePath,
      sideEffectPath,
      String(PARENTS),
      String(SEQUENCES),
    ])
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    const exited = waitForExit(child)
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    await waitUntil('the workload is enqueued', () => stdout.includes('\n'))
    const { parentIds, sequenceIds } = JSON.parse(stdout.split('\n')[0] as string) as {
      parentIds: Array<string>
      sequenceIds: Array<string>
    }
    // The child holds after 30 finished runs (its file frozen): the kill lands mid-run whenever it comes.
    await waitUntil('the child holds mid-run', () => stdout.includes('holding\n'))
    child.kill('SIGKILL')
    const phase1 = await exited
    expect(phase1.signal).toBe('SIGKILL')
    expect(phase1.stderr).toBe('')

    // What the crash left: some work completed, some not (the kill really happened mid-run).
    const snapshot = new InMemoryTaskExecutionsStorage()
    await snapshot.load(() => readFileSync(storePath, 'utf8'))
    const topLevelIds = [...parentIds, ...sequenceIds]
    const rowsAtCrash = await readWorkloadRows(snapshot, topLevelIds)
    const completedAtCrash = new Set(
      rowsAtCrash.filter((row) => row.status === 'completed').map((row) => row.executionId),
    )
    expect(completedAtCrash.size).toBeGreaterThan(0)
    expect(rowsAtCrash.some((row) => !row.isFinished)).toBe(true)

    // Phase 2: a new executor with short leases loads the snapshot and finishes everything.
    const storage = new InMemoryTaskExecutionsStorage()
    await storage.load(() => readFileSync(storePath, 'utf8'))
    const executor = await DurableExecutor.make(storage, {
      logLevel: 'error',
      backgroundProcessIntraBatchSleepMs: 50,
      expireLeewayMs: CRASH_EXPIRE_LEEWAY_MS,
    })
    cleanups.push(() => executor.shutdown())
    const { parent, sequence } = defineCrashTasks(executor, sideEffectPath, 'p2')
    await executor.start()

    for (const [input, executionId] of parentIds.entries()) {
      const handle = await executor.getTaskExecutionHandle(parent, executionId)
      const execution = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      expect(execution.status).toBe('completed')
      if (execution.status !== 'completed') continue
      let expectedSum = 0
      for (let index = 0; index < CRASH_CHILDREN_PER_PARENT; index++) expectedSum += input * 100 + index
      expect(execution.output).toEqual({ parent: input, sum: expectedSum })
    }
    for (const [input, executionId] of sequenceIds.entries()) {
      const handle = await executor.getTaskExecutionHandle(sequence, executionId)
      const execution = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
      expect(execution.status).toBe('completed')
      if (execution.status === 'completed') expect(execution.output).toBe(input * 10 + CRASH_SEQUENCE_STEPS)
    }

    // Nothing lost and nothing spawned twice: exactly the expected rows, all completed.
    const finalRows = await readWorkloadRows(storage, topLevelIds)
    expect(finalRows).toHaveLength(PARENTS * (1 + CRASH_CHILDREN_PER_PARENT + 1) + SEQUENCES * (1 + CRASH_SEQUENCE_STEPS))
    expect(finalRows.filter((row) => row.status !== 'completed')).toEqual([])
    const rowIds = new Set(finalRows.map((row) => row.executionId))
    expect(rowIds.size).toBe(finalRows.length)

    // Side effects: every run that did work belongs to a row; every row that runs code did its
    // work; nothing completed before the crash ran again; no run completed twice in one phase.
    const effects = readSideEffects(sideEffectPath).filter((effect) => effect.event === 'done')
    const doneCounts = new Map<string, { p1: number; p2: number }>()
    for (const effect of effects) {
      expect(rowIds.has(effect.executionId)).toBe(true)
      const counts = doneCounts.get(effect.executionId) ?? { p1: 0, p2: 0 }
      counts[effect.phase as 'p1' | 'p2']++
      doneCounts.set(effect.executionId, counts)
    }
    const runningRows = finalRows.filter((row) => row.taskId !== 'crash_sequence')
    for (const row of runningRows) {
      const counts = doneCounts.get(row.executionId)
      expect(counts, `side effect of ${row.taskId} ${row.executionId}`).toBeDefined()
      expect(counts!.p1).toBeLessThanOrEqual(1)
      expect(counts!.p2).toBeLessThanOrEqual(1)
      if (completedAtCrash.has(row.executionId)) expect(counts!.p2).toBe(0)
    }
    // The recovering executor really had work to do.
    expect(effects.some((effect) => effect.phase === 'p2')).toBe(true)
  })
})
