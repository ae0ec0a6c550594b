/**
 * Storage calls made while holding a lease (a run's result, a children-finished processing, a
 * close): a storage error is never the work's own error. A retryable failure (the database is
 * away, a deadlock) is tried again with backoff, at once when another storage call succeeds. A
 * fenced lease (a lease token on the row) is tried until the call lands or its write matches
 * nothing (the lease was taken over): past the lease's end too, since the fence keeps a write
 * that comes too late from landing, and a result that lands spares another run. Without a
 * fence, only while the lease lasts. Shutdown stops the retries; the work is then left to expiry
 * recovery. Only a non-retryable storage error (a write that can never succeed) reaches the caller.
 */
import type { UpdateMatch } from '../batching/storage-layer.js'
import { convertErrorToDurableExecutionError } from '../errors.js'
import type { ExecutorRuntime } from './runtime.js'

/** First pause before a failed call is tried again. */
const FIRST_RETRY_DELAY_MS = 100
/** Longest pause between tries. */
const MAX_RETRY_DELAY_MS = 5_000
/**
 * How long this executor's expiry sweep holds off after a call starts waiting to be retried, at
 * most: long enough for waiting results to land when the database is back, short enough that a
 * call failing for good does not stop this executor's recovery of other leases.
 */
export const SWEEP_HOLD_MS = 30_000

/** What holds the work: when its lease ends (storage clock) and whether it must stop now. */
export type HeldLease = {
  /** When the lease ends, in storage time; `undefined` for a row claimed without one. */
  readonly endsAt: number | undefined
  /** Whether the row carries a lease token that the writes filter on. */
  readonly isFenced: boolean
  /** Whether to give up at once (the run was interrupted, say). */
  readonly isAbandoned?: () => boolean
}

/** How a call under a lease ended without an answer: the lease ended, or the executor stopped. */
export class LeaseEndedBeforeWrite {
  /** @param reason - what ended it, for the log. */
  constructor(readonly reason: string) {}
}

/** A pause that shutdown, or a storage call that succeeds, cuts short. */
function pause(runtime: ExecutorRuntime, ms: number): Promise<void> {
  const stopSignal = runtime.stopSignal
  return new Promise((resolve) => {
    if (stopSignal.aborted) return resolve()
    let isDone = false
    const done = () => {
      if (isDone) return
      isDone = true
      clearTimeout(timer)
      stopSignal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    stopSignal.addEventListener('abort', done)
    void runtime.storage.whenCallSucceeds().then(done)
  })
}

/**
 * Makes `call` until it answers, retrying retryable failures with backoff (×2 from 100 ms up to
 * 5 s, with jitter; at once when another storage call succeeds): for a fenced lease until it
 * answers, otherwise while the lease lasts. Resolves to the call's answer, or to a
 * {@link LeaseEndedBeforeWrite} when the lease ended (unfenced) or the executor stopped first;
 * rejects with a non-retryable failure. While it waits to retry, this executor's expiry sweep
 * holds off (see `retryExpiredTaskExecutions`), so its own waiting results get to land first.
 */
export async function callUnderLease<T>(
  runtime: ExecutorRuntime,
  lease: HeldLease,
  what: string,
  call: () => Promise<T>,
): Promise<T | LeaseEndedBeforeWrite> {
  // A row without a lease end gets the leeway, as a lease would.
  const endsAt = lease.endsAt ?? runtime.clock.now() + runtime.options.expireLeewayMs
  let isWaiting = false
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call()
      } catch (thrown) {
        const error = convertErrorToDurableExecutionError(thrown)
        if (!error.isRetryable) throw error
        const delayMs = Math.min(FIRST_RETRY_DELAY_MS * 2 ** attempt, MAX_RETRY_DELAY_MS) * (0.75 + Math.random() / 2)
        if (runtime.stopSignal.aborted || lease.isAbandoned?.()) return new LeaseEndedBeforeWrite('the executor stopped')
        if (!lease.isFenced && runtime.clock.now() + delayMs >= endsAt) {
          return new LeaseEndedBeforeWrite(`its lease ended while the storage failed: ${error.message}`)
        }
        if (!isWaiting) {
          isWaiting = true
          const waiting = runtime.callsWaitingToRetry
          waiting.count++
          waiting.holdSweepUntil = Math.max(waiting.holdSweepUntil, Date.now() + SWEEP_HOLD_MS)
        }
        if (runtime.log.isDebugEnabled) {
          runtime.log.debug(`Retrying ${what} in ${Math.round(delayMs)} ms after a storage error: ${error.message}`)
        }
        await pause(runtime, delayMs)
      }
    }
  } finally {
    if (isWaiting) runtime.callsWaitingToRetry.count--
  }
}

/**
 * Stops a background step (children-finished processing, a close) whose lease ended or was taken
 * over: the step writes nothing more and is left to expiry recovery or to the new holder.
 */
export class LeaseLostError extends Error {
  /** @param reason - what ended the lease, for the log. */
  constructor(reason: string) {
    super(reason)
    this.name = 'LeaseLostError'
  }
}

/**
 * {@link callUnderLease} for background steps: throws a {@link LeaseLostError} when the lease ended
 * first.
 */
export async function callHoldingLease<T>(
  runtime: ExecutorRuntime,
  lease: HeldLease,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  const answer = await callUnderLease(runtime, lease, what, call)
  if (answer instanceof LeaseEndedBeforeWrite) throw new LeaseLostError(answer.reason)
  return answer
}

/**
 * A fenced write of a background step ({@link callHoldingLease}): a write that matched nothing
 * means the lease was taken over, and throws a {@link LeaseLostError} too.
 */
export async function writeHoldingLease(
  runtime: ExecutorRuntime,
  lease: HeldLease,
  what: string,
  write: () => Promise<UpdateMatch>,
): Promise<void> {
  const matched = await callHoldingLease(runtime, lease, what, write)
  if (matched === false) throw new LeaseLostError(`${what} matched nothing: the row is no longer held under this lease`)
}
