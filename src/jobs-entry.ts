/**
 * `durable-execution-drizzle/jobs`: the job-runner layer (`src/jobs`: row types, state machines,
 * repositories, `withTransaction`, `openJobStore`) with `createDatabase` (`src/database`), which
 * sits above the dialect files. Kept outside `src/jobs` so that the layer itself never imports
 * upwards. No driver is loaded here.
 * @module jobs
 */
export * from './jobs/index.js'
export * from './database/index.js'
