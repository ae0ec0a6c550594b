/**
 * `durable-execution-drizzle`: every public API of the package. The testing suites live in
 * `durable-execution-drizzle/testing` because they import vitest.
 */
export * from './core/index.js'
