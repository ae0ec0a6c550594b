/**
 * A second run of the same step that lost a race: two runs of one chunk (a timed-out run still
 * finishing while its retry starts) or of one finalize step both try the same status transition;
 * the loser's transaction rolls back on an {@link InvalidTransitionError}. When the winner left the
 * work done, the loser reports that instead of failing, so the batch does not fail for it.
 */
import { InvalidTransitionError } from '../jobs/index.js'

/**
 * Runs `work`; when it fails on a refused status transition, returns what `doneAlready` finds
 * (the work's result as the winner left it), or rethrows when the work is not done.
 */
export async function unlessDoneAlready<T>(work: () => Promise<T>, doneAlready: () => Promise<T | undefined>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof InvalidTransitionError)) throw error
    const done = await doneAlready()
    if (done === undefined) throw error
    return done
  }
}
