/**
 * Build of the published package: ESM (`.js`) and CommonJS (`.cjs`) with declarations
 * (`.d.ts` / `.d.cts`) for every public subpath. The names here must match package.json `exports`.
 */
import { defineConfig } from 'tsup'

/** Output path under dist/ (without extension) → source. A new subpath is one line here plus its `exports` entry. */
const entry: Record<string, string> = {
  index: 'src/index.ts',
  pg: 'src/pg.ts',
  mysql: 'src/mysql.ts',
  sqlite: 'src/sqlite.ts',
  // The job-runner layer plus createDatabase, which sits above the dialects (src/database).
  'jobs/index': 'src/jobs-entry.ts',
  'testing/index': 'src/testing/index.ts',
  // The command line (package.json `bin`); its shebang line is kept by the build.
  cli: 'src/cli.ts',
}

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // Every bare import (dependencies, peers such as drizzle-orm, the drivers and vitest) stays an
  // import of the user's copy; only our own modules are bundled.
  skipNodeModulesBundle: true,
  // Shared chunks in both formats, so that the root and `/testing` share one copy of the core
  // (one class identity for `instanceof DurableExecutionError`).
  splitting: true,
  // esbuild renames a class that refers to itself (`_DurableExecutionError`); the error classes set
  // `name` from the class, so printed errors would carry the renamed one.
  keepNames: true,
  // import.meta.url in the CommonJS build too: the migrations folders are found from it.
  shims: true,
})
