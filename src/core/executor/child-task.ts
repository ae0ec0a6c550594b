/**
 * `childTask(task, input?, options?)`: how `runParent` describes a child to spawn (spec 4.2.3).
 */
import type { AnyTask, ChildTask, InferTaskInput, TaskEnqueueOptions } from './types.js'

/**
 * Describes a child for `runParent` to return. The input may be left out when the task's input
 * type accepts `undefined`; `options` override the task's retry options, delay and timeout for
 * this child only.
 */
export function childTask<TTask extends AnyTask>(
  task: TTask,
  ...rest: undefined extends InferTaskInput<TTask>
    ? [input?: InferTaskInput<TTask>, options?: TaskEnqueueOptions]
    : [input: InferTaskInput<TTask>, options?: TaskEnqueueOptions]
): ChildTask<TTask> {
  const [input, options] = rest
  return options === undefined
    ? { task, input: input as InferTaskInput<TTask> }
    : { task, input: input as InferTaskInput<TTask>, options }
}
