/**
 * The forms the fault suite runs in: the timing every scenario shares (short leases, a pause that
 * outlasts one), the bounded schedules of `pnpm test` (about 2,000 tasks, a few faults of each
 * kind) and the full schedules of `pnpm test:chaos` (20,000 tasks, the fault counts).
 */
import type { ScenarioOptions } from './scenario.js'
import type { FaultSegment } from './schedule.js'

/**
 * Leases of 4.5 s (3 s timeout + 1.5 s leeway); a pause outlasts one. Runs take up to 600 ms, so
 * a run times out only if its process is starved for seconds (the machines are shared).
 */
export const FAULT_TIMING: Pick<ScenarioOptions, 'timing' | 'expireLeewayMs' | 'durations'> = {
  timing: { timeoutMs: 3_000, maxRunMs: 150 },
  expireLeewayMs: 1_500,
  durations: { pauseMs: 6_000, stallMs: 2_000, restartDownMs: 500 },
}

/** Bounded, on a server behind the fault proxy: every kind of fault. */
export const BOUNDED_SERVER_SEGMENTS: ReadonlyArray<FaultSegment> = [
  { kind: 'none', durationMs: 2_000 },
  { kind: 'sigkill', durationMs: 4_000, count: 2 },
  { kind: 'pause', durationMs: 9_000, count: 1 },
  { kind: 'restart', durationMs: 3_000, count: 1 },
  { kind: 'connection-kill', durationMs: 3_000, count: 3 },
  { kind: 'proxy-cut', durationMs: 3_000, count: 2 },
  { kind: 'proxy-stall', durationMs: 4_000, count: 1 },
  { kind: 'lost-commit-reply', durationMs: 3_000, count: 3 },
]

/** Bounded, on a database file: process faults only. */
export const BOUNDED_FILE_SEGMENTS: ReadonlyArray<FaultSegment> = [
  { kind: 'none', durationMs: 2_000 },
  { kind: 'sigkill', durationMs: 6_000, count: 3 },
  { kind: 'pause', durationMs: 18_000, count: 2 },
]

/** Full, on a server: 60 SIGKILLs, 10 pauses, 3 restarts, 60 s of connection kills, cuts, stalls, 1 % lost COMMIT replies. */
export const FULL_SERVER_SEGMENTS: ReadonlyArray<FaultSegment> = [
  { kind: 'none', durationMs: 10_000 },
  { kind: 'sigkill', durationMs: 150_000, count: 60 },
  { kind: 'pause', durationMs: 80_000, count: 10 },
  { kind: 'restart', durationMs: 30_000, count: 3 },
  // 60 kills over the segment's middle 60 %: one a second for 60 s.
  { kind: 'connection-kill', durationMs: 100_000, count: 60 },
  { kind: 'proxy-cut', durationMs: 20_000, count: 5 },
  { kind: 'proxy-stall', durationMs: 25_000, count: 3 },
  { kind: 'lost-commit-reply', durationMs: 100_000, rate: 0.01 },
]

/** Full, on a database file: process faults only. */
export const FULL_FILE_SEGMENTS: ReadonlyArray<FaultSegment> = FULL_SERVER_SEGMENTS.filter((segment) => ['none', 'sigkill', 'pause'].includes(segment.kind))

/** A schedule scaled by `factor`: fewer faults (at least one) and shorter segments (at least 3 s). */
export function scaleSegments(segments: ReadonlyArray<FaultSegment>, factor: number): Array<FaultSegment> {
  return segments.map((segment) => ({
    ...segment,
    durationMs: Math.max(3_000, Math.round(segment.durationMs * factor)),
    ...(segment.count === undefined ? {} : { count: Math.max(1, Math.round(segment.count * factor)) }),
  }))
}
