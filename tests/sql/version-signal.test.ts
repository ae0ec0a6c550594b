/**
 * The version signal of the dialects without notifications, in fake time: the poll runs fast after
 * its start and after a change, and at its quiet interval otherwise; the file watch reads the
 * version only after a write to the database's files, at most once per gap, never misses a write
 * made during a read, and falls back to polling when the watch breaks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ACTIVE_POLL_INTERVAL_MS,
  IDLE_POLL_INTERVAL_MS,
  pollVersion,
  STAYS_ACTIVE_MS,
  WATCH_CHECK_GAP_MS,
  watchVersion,
  type DirectoryWatch,
  type VersionPoll,
} from '../../src/common/change-signal.js'

const directory = mkdtempSync(join(tmpdir(), 'de-version-signal-'))
const file = join(directory, 'app.sqlite')
writeFileSync(file, '')
afterAll(() => rmSync(directory, { recursive: true, force: true }))

/** A version the test sets, counting its reads; `hold` keeps the next read pending until released. */
function scriptedVersion() {
  const state = { version: 1, reads: 0, changes: 0, release: undefined as (() => void) | undefined, holdNext: false }
  const read = async () => {
    state.reads++
    // The value is taken when the read starts, as a database answers.
    const version = state.version
    if (state.holdNext) {
      state.holdNext = false
      await new Promise<void>((resolve) => (state.release = resolve))
    }
    return version
  }
  return { state, read, onChange: () => state.changes++ }
}

/** A directory watch the test drives: `write(name)` reports a write, `fail()` breaks the watch. */
function fakeWatch() {
  const watched: { directory?: string; onEvent?: (name: string | null) => void; onError?: (error: unknown) => void; closed: boolean } = { closed: false }
  const watch: DirectoryWatch = (path, onEvent, onError) => {
    Object.assign(watched, { directory: path, onEvent, onError })
    return { close: () => void (watched.closed = true) }
  }
  return { watch, watched, write: (name: string | null) => watched.onEvent!(name), fail: () => watched.onError!(new Error('watch broke')) }
}

const stops: Array<VersionPoll> = []
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  for (const poll of stops.splice(0)) poll.stop()
  vi.useRealTimers()
})

describe('polled version', () => {
  it('polls fast after the start and after a change, and at the quiet interval once nothing changed for a while', async () => {
    const { state, read, onChange } = scriptedVersion()
    stops.push(await pollVersion(read, onChange))
    expect(state.reads).toBe(1)
    await vi.advanceTimersByTimeAsync(STAYS_ACTIVE_MS)
    expect(state.reads).toBe(1 + STAYS_ACTIVE_MS / ACTIVE_POLL_INTERVAL_MS)
    const quietFrom = state.reads
    await vi.advanceTimersByTimeAsync(IDLE_POLL_INTERVAL_MS * 10)
    expect(state.reads - quietFrom).toBeGreaterThanOrEqual(10)
    expect(state.reads - quietFrom).toBeLessThanOrEqual(11)
    state.version = 2
    await vi.advanceTimersByTimeAsync(IDLE_POLL_INTERVAL_MS)
    expect(state.changes).toBe(1)
    const fastFrom = state.reads
    await vi.advanceTimersByTimeAsync(STAYS_ACTIVE_MS)
    expect(state.reads - fastFrom).toBe(STAYS_ACTIVE_MS / ACTIVE_POLL_INTERVAL_MS)
    const slowFrom = state.reads
    await vi.advanceTimersByTimeAsync(IDLE_POLL_INTERVAL_MS * 5)
    expect(state.reads - slowFrom).toBeLessThanOrEqual(6)
    expect(state.changes).toBe(1)
  })
})

describe('what a polled version tells', () => {
  it("says 'enqueued' for a new version where only inserts change it, and 'anything' after failed reads recover", async () => {
    const changes: Array<string | undefined> = []
    let version = 1
    let isDown = false
    const read = async () => {
      if (isDown) throw new Error('connection refused')
      return version
    }
    stops.push(await pollVersion(read, (change) => changes.push(change), 'enqueued'))
    version = 2
    await vi.advanceTimersByTimeAsync(ACTIVE_POLL_INTERVAL_MS)
    expect(changes).toEqual(['enqueued'])
    isDown = true
    await vi.advanceTimersByTimeAsync(ACTIVE_POLL_INTERVAL_MS * 3)
    expect(changes).toEqual(['enqueued'])
    // Back with the same version: what happened while the reads failed is unknown.
    isDown = false
    await vi.advanceTimersByTimeAsync(ACTIVE_POLL_INTERVAL_MS)
    expect(changes).toEqual(['enqueued', undefined])
  })

  it('says anything may have changed where the version counts every commit', async () => {
    const changes: Array<string | undefined> = []
    let version = 1
    stops.push(await pollVersion(async () => version, (change) => changes.push(change)))
    version = 2
    await vi.advanceTimersByTimeAsync(ACTIVE_POLL_INTERVAL_MS)
    expect(changes).toEqual([undefined])
  })
})

describe('watched database file', () => {
  async function startWatch() {
    const version = scriptedVersion()
    const watch = fakeWatch()
    stops.push(await watchVersion(file, version.read, version.onChange, watch.watch))
    return { ...version, ...watch }
  }

  it('reads nothing but its baseline while no file of the database is written', async () => {
    const { state, watched, write } = await startWatch()
    expect(watched.directory).toBe(directory)
    write('other.sqlite-wal')
    write('app.sqlite.bak')
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(state.reads).toBe(1)
  })

  it('reads once after a burst of writes, within the gap, and calls onChange only when the version changed', async () => {
    const { state, write } = await startWatch()
    // This process's own commit: the version stays.
    write('app.sqlite-wal')
    write('app.sqlite-wal')
    await vi.advanceTimersByTimeAsync(WATCH_CHECK_GAP_MS)
    expect(state.reads).toBe(2)
    expect(state.changes).toBe(0)
    // Another process's commit.
    state.version = 2
    write('app.sqlite-wal')
    write('app.sqlite')
    await vi.advanceTimersByTimeAsync(WATCH_CHECK_GAP_MS / 2)
    expect(state.reads).toBe(2)
    await vi.advanceTimersByTimeAsync(WATCH_CHECK_GAP_MS / 2)
    expect(state.reads).toBe(3)
    expect(state.changes).toBe(1)
  })

  it('reads again after a write made while a read was in flight', async () => {
    const { state, write } = await startWatch()
    state.holdNext = true
    write('app.sqlite-wal')
    await vi.advanceTimersByTimeAsync(WATCH_CHECK_GAP_MS)
    expect(state.reads).toBe(2)
    // The commit lands after the pending read took its value.
    state.version = 2
    write('app.sqlite-wal')
    state.release!()
    await vi.advanceTimersByTimeAsync(WATCH_CHECK_GAP_MS)
    expect(state.reads).toBe(3)
    expect(state.changes).toBe(1)
  })

  it('falls back to polling, and calls onChange once, when the watch breaks', async () => {
    const { state, watched, fail } = await startWatch()
    fail()
    expect(watched.closed).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(state.changes).toBe(1)
    const from = state.reads
    await vi.advanceTimersByTimeAsync(IDLE_POLL_INTERVAL_MS * 3)
    expect(state.reads - from).toBeGreaterThanOrEqual(3)
  })

  it('polls when the database file does not exist', async () => {
    const { state, read, onChange } = scriptedVersion()
    const watch = fakeWatch()
    stops.push(await watchVersion(join(directory, 'missing.sqlite'), read, onChange, watch.watch))
    expect(watch.watched.onEvent).toBeUndefined()
    await vi.advanceTimersByTimeAsync(STAYS_ACTIVE_MS)
    expect(state.reads).toBe(1 + STAYS_ACTIVE_MS / ACTIVE_POLL_INTERVAL_MS)
  })
})
