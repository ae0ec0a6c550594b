/**
 * The storage's readiness check at `start()`: a storage that can never work (its table is
 * missing) fails the start; a database that is only down or slow does not, since the loops
 * retry storage calls as before.
 */
import type { TaskExecutionsStorageLayer } from '../batching/storage-layer.js'
import { DurableExecutionError } from '../errors.js'

/** How long `start()` waits for the readiness check before starting anyway. */
export const READY_CHECK_WAIT_MS = 5_000

/**
 * Runs the storage's `checkReady`. Rethrows a non-retryable error; logs a retryable one, or a
 * check that does not settle within {@link READY_CHECK_WAIT_MS}, and resolves.
 */
export async function checkStorageReady(
  storage: Pick<TaskExecutionsStorageLayer, 'checkReady'>,
  logError: (message: string, error?: unknown) => void,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const outcome = await Promise.race([
    storage.checkReady().then(
      () => ({ kind: 'ready' as const }),
      (error: unknown) => ({ kind: 'failed' as const, error }),
    ),
    new Promise<{ kind: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), READY_CHECK_WAIT_MS)
      timer.unref?.()
    }),
  ])
  clearTimeout(timer)
  if (outcome.kind === 'timeout') {
    logError(`The storage did not answer its readiness check within ${READY_CHECK_WAIT_MS} ms; starting anyway`)
  } else if (outcome.kind === 'failed') {
    if (!(outcome.error instanceof DurableExecutionError && outcome.error.isRetryable)) throw outcome.error
    logError('Could not check the storage (a retryable error); starting anyway', outcome.error)
  }
}
