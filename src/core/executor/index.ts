/**
 * The durable executor: the `DurableExecutor` class, `childTask`, and the public task, option,
 * context and handle types (spec 4.13).
 *
 * Layout: `executor.ts` (the class) wires `registry.ts` and `composite-tasks.ts` (task
 * definitions, sequences, loops), `enqueue.ts` and `handle.ts` (enqueue, wakeup, handles),
 * `run.ts` (in-process runs), `children-finished.ts` and `close.ts` (the parent-side steps),
 * `background.ts` (one iteration of each background process), `loops.ts` (the loop runner with
 * in-process wake-ups), `deadlines.ts` (all run timeouts on one timer), `options.ts`,
 * `input-validation.ts` and `runtime.ts` (state and helpers shared by these parts).
 */
export { DurableExecutor } from './executor.js'
export { childTask } from './child-task.js'
export type {
  AnyTask,
  AnyTasks,
  ChildTask,
  CommonTaskOptions,
  DefaultParentTaskOutput,
  DurableExecutorLogContext,
  DurableExecutorLogger,
  DurableExecutorLogLevel,
  DurableExecutorOptions,
  EnqueueTaskArguments,
  EnqueueTaskOptions,
  FinalizeTaskOptions,
  InferTaskInput,
  InferTaskOutput,
  InferTaskType,
  InputValidatedTaskBuilder,
  IsSequenceChainValid,
  LastTask,
  LoopingTaskIterationOutput,
  LoopingTaskOutput,
  LoopingTaskSleepMsBeforeRun,
  ParentTaskOptions,
  ParentTaskRunOutput,
  SequentialTasks,
  SleepingTaskOptions,
  StandardSchemaV1,
  StandardSchemaV1Issue,
  StandardSchemaV1Result,
  Task,
  TaskEnqueueOptions,
  TaskExecutionHandle,
  TaskExecutionsStorageTransaction,
  TaskOptions,
  TaskRunContext,
  WakeupSleepingTaskExecutionOptions,
} from './types.js'
