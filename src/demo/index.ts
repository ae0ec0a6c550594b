/**
 * `src/demo`: the durable ETL demo (`pnpm demo`, the command line's `demo`). A batch of generated
 * orders is processed in chunks, children of a parent task on a `DurableExecutor`, through the
 * job-runner repositories on any database `createDatabase` opens; killing the process and running
 * it again resumes the batch. Above `src/database` in the layers; nothing in the library imports it.
 * Files: `options.ts` (options, defaults), `errors.ts`, `source.ts` (the seeded source),
 * `transform.ts` (validation), `batch.ts` (the batch's rows), `chunk.ts` (one chunk's transaction),
 * `races.ts` (a second run that lost a race), `tasks.ts` (parent and chunk tasks), `resume.ts` (the
 * batch and parent a run works on), `progress.ts` (bar or lines), `run.ts` (one run).
 */
export * from './errors.js'
export * from './options.js'
export { runDemo, type DemoIo, type DemoRunControls, type DemoRunResult } from './run.js'
export type { DemoSummary } from './tasks.js'
export type { DemoOutput } from './progress.js'
