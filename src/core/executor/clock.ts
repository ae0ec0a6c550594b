/**
 * The executor's clock for everything it writes to storage or compares with it (start times,
 * leases, sweeps): this process's clock corrected by its offset from the database's clock, when
 * the storage can tell it (`getCurrentTimeMs`). Executors on machines whose clocks disagree then
 * still agree on when a lease ends, so none takes over a live one. Local timers (timeouts, wake-ups)
 * keep using this process's clock; `toLocalTime` converts a storage time for them.
 */

/** Samples taken at each synchronisation; the one with the shortest round trip wins. */
const SAMPLES_PER_SYNC = 3
/** Milliseconds of disagreement two clocks show from reading time in whole milliseconds. */
const NOISE_MS = 2

/** How often the offset is sampled again (clocks drift; NTP may step this machine's clock). */
export const CLOCK_RESYNC_INTERVAL_MS = 60_000

/** How long `start()` waits for the first sampling: a database that does not answer must not stall a start. */
export const FIRST_SYNC_WAIT_MS = 5_000

/** Reads the database's clock, in milliseconds since the epoch. */
export type DatabaseClockReader = () => Promise<number>

/** This process's clock corrected to the database's. */
export class ExecutorClock {
  private offsetMs = 0
  private timer: ReturnType<typeof setInterval> | undefined

  /**
   * @param readDatabaseClock - the storage's clock, or `undefined` when it has none (the offset
   *   then stays 0).
   * @param onSyncError - told when a sample fails; the previous offset is kept.
   */
  constructor(
    private readonly readDatabaseClock: DatabaseClockReader | undefined,
    private readonly onSyncError: (error: unknown) => void,
  ) {}

  /** The current time on the database's clock, as far as this process can tell. */
  now(): number {
    return Date.now() + this.offsetMs
  }

  /** The local time at which the database's clock reads `storageTime`. */
  toLocalTime(storageTime: number): number {
    return storageTime - this.offsetMs
  }

  /** How far the database's clock is ahead of this process's (negative when behind). */
  get offset(): number {
    return this.offsetMs
  }

  /**
   * Samples the offset now and then every {@link CLOCK_RESYNC_INTERVAL_MS}. Resolves after the
   * first sampling, whether it worked or not, or after {@link FIRST_SYNC_WAIT_MS} (a database that
   * is away or does not answer must not stop a start; the offset stays 0 until a sample lands).
   */
  async start(): Promise<void> {
    if (!this.readDatabaseClock || this.timer) return
    this.timer = setInterval(() => void this.sync(), CLOCK_RESYNC_INTERVAL_MS)
    this.timer.unref?.()
    let giveUp: ReturnType<typeof setTimeout> | undefined
    await Promise.race([this.sync(), new Promise<void>((resolve) => (giveUp = setTimeout(resolve, FIRST_SYNC_WAIT_MS)))])
    clearTimeout(giveUp)
  }

  /** Stops resampling. */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Takes a few samples and keeps the offset of the one with the shortest round trip. */
  async sync(): Promise<void> {
    const read = this.readDatabaseClock
    if (!read) return
    let best: { roundTripMs: number; offsetMs: number } | undefined
    for (let sample = 0; sample < SAMPLES_PER_SYNC; sample++) {
      try {
        const sentAt = Date.now()
        const databaseTime = await read()
        const receivedAt = Date.now()
        if (!Number.isFinite(databaseTime)) continue
        const roundTripMs = receivedAt - sentAt
        // The database read its clock somewhere within the round trip: assume the middle.
        const offsetMs = Math.round(databaseTime - (sentAt + receivedAt) / 2)
        if (!best || roundTripMs < best.roundTripMs) best = { roundTripMs, offsetMs }
      } catch (error) {
        this.onSyncError(error)
        return
      }
    }
    if (!best) return
    // An offset within what the sample can tell (half its round trip, plus the clocks' own
    // millisecond steps) is noise: the clocks agree, and timestamps stay this process's own.
    this.offsetMs = Math.abs(best.offsetMs) <= best.roundTripMs / 2 + NOISE_MS ? 0 : best.offsetMs
  }
}
