/**
 * The runner of one background loop (spec 4.9): an initial jittered delay, then iterations that
 * repeat at once while they report more work and otherwise sleep the interval with jitter, growing
 * the sleep after repeated errors. Beyond upstream, `trigger()` runs the loop at once when this
 * process has made work ready (coalescing many triggers into one run), while polling stays as the backstop across processes. (Wake-ups at a known future time, e.g. a
 * delayed start, are scheduled by the executor on its deadline scheduler and call `trigger()`.)
 */

/** One iteration; resolves to `true` when more work is waiting. */
export type BackgroundLoopIteration = () => Promise<boolean>

/** Options of {@link BackgroundLoop}. */
export type BackgroundLoopOptions = {
  /** Name used in log lines. */
  name: string
  /** The polling interval in ms. */
  intervalMs: number
  /** The work of one iteration. */
  iteration: BackgroundLoopIteration
  /** Receives iteration errors. */
  logError: (message: string, error: unknown) => void
  /** Source of randomness for jitter, in [0, 1). Defaults to `Math.random`. */
  random?: () => number
}

/** Errors in a row before the sleep starts growing. */
const ERRORS_BEFORE_BACKOFF = 3
/** Growth of the sleep per error past the threshold. */
const BACKOFF_FACTOR = 1.25
/** The sleep never exceeds this many intervals. */
const MAX_BACKOFF_MULTIPLIER = 5

/** The delay before the first iteration: about 10 % of the interval, ±50 %. */
export function computeInitialLoopDelayMs(intervalMs: number, random: number): number {
  return intervalMs * 0.1 * (0.5 + random)
}

/**
 * The sleep after an iteration that found no more work: the interval ±10 %, grown by ×1.25 per
 * consecutive error from the third one on, up to 5× the interval.
 */
export function computeLoopSleepMs(
  intervalMs: number,
  consecutiveErrors: number,
  random: number,
): number {
  let multiplier = 1
  if (consecutiveErrors >= ERRORS_BEFORE_BACKOFF) {
    multiplier = Math.min(
      BACKOFF_FACTOR ** (consecutiveErrors - ERRORS_BEFORE_BACKOFF + 1),
      MAX_BACKOFF_MULTIPLIER,
    )
  }
  return intervalMs * multiplier * (0.9 + 0.2 * random)
}

type LoopState = 'idle' | 'sleeping' | 'scheduled' | 'running' | 'stopped'

/** One background loop. Single-threaded: at most one iteration runs at a time. */
export class BackgroundLoop {
  private readonly options: BackgroundLoopOptions
  private idleIntervalMs: number
  private readonly random: () => number
  private state: LoopState = 'idle'
  private timer: ReturnType<typeof setTimeout> | undefined
  private immediate: ReturnType<typeof setImmediate> | undefined
  private triggeredWhileRunning = false
  private consecutiveErrors = 0
  private currentIteration: Promise<void> | undefined

  /** @param options - name, interval, work and error sink. */
  constructor(options: BackgroundLoopOptions) {
    this.options = options
    this.idleIntervalMs = options.intervalMs
    this.random = options.random ?? Math.random
  }

  /**
   * Changes how long the loop sleeps after an iteration that found nothing more to do, from the
   * next sleep on (a storage with a change signal makes polling a slow backstop). After a failed
   * iteration the loop still retries at its interval, with the error backoff.
   */
  setIdleIntervalMs(idleIntervalMs: number): void {
    this.idleIntervalMs = idleIntervalMs
  }

  /** Whether the loop has started and not stopped. */
  get isActive(): boolean {
    return this.state !== 'idle' && this.state !== 'stopped'
  }

  /** Starts the loop after the initial jittered delay. Does nothing if already started or stopped. */
  start(): void {
    if (this.state !== 'idle') return
    this.sleep(computeInitialLoopDelayMs(this.options.intervalMs, this.random()))
  }

  /**
   * Runs an iteration as soon as possible (after the current one, if one is running). Many calls
   * before the run coalesce into one. Does nothing unless the loop is active.
   */
  trigger(): void {
    switch (this.state) {
      case 'sleeping':
        this.clearTimer()
        this.scheduleNow()
        return
      case 'running':
        this.triggeredWhileRunning = true
        return
      default:
        return
    }
  }

  /**
   * Stops the loop: no iteration starts any more, and this resolves when the current one (if any)
   * has finished or `forceAfterMs` has passed. Leaves no timer behind.
   */
  async stop(forceAfterMs: number): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    this.clearTimer()
    if (this.immediate) {
      clearImmediate(this.immediate)
      this.immediate = undefined
    }
    const current = this.currentIteration
    if (!current) return
    let forceTimer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      current,
      new Promise<void>((resolve) => {
        forceTimer = setTimeout(resolve, forceAfterMs)
      }),
    ])
    clearTimeout(forceTimer)
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  private setTimer(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.runIteration()
    }, delayMs)
  }

  private sleep(delayMs: number): void {
    this.state = 'sleeping'
    this.setTimer(delayMs)
  }

  // setImmediate rather than a zero timeout: it runs after pending I/O without the 1 ms clamp.
  private scheduleNow(): void {
    this.state = 'scheduled'
    this.immediate = setImmediate(() => {
      this.immediate = undefined
      this.runIteration()
    })
  }

  private runIteration(): void {
    if (this.state === 'stopped') return
    this.state = 'running'
    this.triggeredWhileRunning = false
    this.currentIteration = this.iterateOnce().then((hasMore) => {
      this.currentIteration = undefined
      if (this.state === 'stopped') return
      if (hasMore || this.triggeredWhileRunning) {
        this.scheduleNow()
      } else {
        const intervalMs = this.consecutiveErrors > 0 ? this.options.intervalMs : this.idleIntervalMs
        this.sleep(computeLoopSleepMs(intervalMs, this.consecutiveErrors, this.random()))
      }
    })
  }

  private async iterateOnce(): Promise<boolean> {
    try {
      const hasMore = await this.options.iteration()
      this.consecutiveErrors = 0
      return hasMore
    } catch (error) {
      this.consecutiveErrors++
      this.options.logError(`Error in background process [processName=${this.options.name}]`, error)
      return false
    }
  }
}
