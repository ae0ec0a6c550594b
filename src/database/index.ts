/**
 * `src/database`: opening a database from a URL. It sits above the dialect files (its driver
 * loaders name every dialect: `pg.ts`, `mysql.ts`, `sqlite.ts`) and above the job-runner layer
 * (`src/jobs`), which never imports it. It owns `createDatabase` and its options, the URL parser
 * and the one redaction of URLs, `.env` loading, the lazily imported driver loaders (`drivers/`)
 * and their errors. Published through the `/jobs` subpath and the package root.
 */
export * from './errors.js'
export { redactDatabaseUrl } from './redact.js'
export * from './url.js'
export * from './env-file.js'
export * from './create-database.js'
export * from './task-executions.js'
export * from './migrations.js'
export * from './migrate.js'
