#!/usr/bin/env bash
# Packaging check: packs the package (its prepack builds it), installs the tarball into a scratch project, and
# proves it loads as ESM, as CommonJS (superjson is ESM-only: this relies on Node >= 20.19's
# require(esm)) and type-checks under NodeNext, for the root and the `/testing` subpath.
# Usage: scripts/check-package.sh   (from anywhere; exits non-zero with a FAILED line)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/check-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n== check-package: %s\n' "$*"; }
fail() { printf '\ncheck-package FAILED: %s\n' "$*" >&2; exit 1; }

cd "$repo"
# No build first: `pnpm pack` must build through `prepack`, as it does in a fresh clone.
step "pack into $work with no dist/ (prepack builds it)"
rm -rf dist
pnpm pack --pack-destination "$work" >/dev/null || fail "pnpm pack did not succeed"
tarball=$(ls "$work"/*.tgz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || fail "pnpm pack wrote no .tgz into $work"
packed_files=$(tar -tzf "$tarball")
echo "tarball: $(basename "$tarball") ($(wc -l <<<"$packed_files") files)"
for entry in index pg mysql sqlite jobs/index testing/index; do
  for extension in js cjs d.ts d.cts; do
    path="dist/$entry.$extension"
    grep -qx "package/$path" <<<"$packed_files" || fail "the tarball lacks $path (see package.json exports and tsup.config.ts)"
  done
done
for path in LICENSE CHANGELOG.md README.md; do
  grep -qx "package/$path" <<<"$packed_files" || fail "the tarball lacks $path (see package.json files)"
done
for path in drizzle/pg drizzle/mysql drizzle/sqlite; do
  grep -q "^package/$path/.*\.sql$" <<<"$packed_files" || fail "the tarball lacks the migrations in $path"
done

# Peers are installed explicitly (npm's automatic peer install is off), so the scratch project holds
# exactly what a user would add: vitest for `/testing`, the same version as the repo's. No driver is
# installed, which also proves the root loads without them.
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }
scratch_peers=("vitest@$(version_of vitest)" "drizzle-orm@$(version_of drizzle-orm)")
project="$work/project"
mkdir -p "$project"
cd "$project"
cat >package.json <<'EOF'
{ "name": "check-package-scratch", "version": "0.0.0", "private": true }
EOF

step "npm install the tarball and ${scratch_peers[*]} in a scratch project"
npm install --no-audit --no-fund --loglevel=error --legacy-peer-deps "$tarball" "${scratch_peers[@]}" \
  || fail "npm install of $(basename "$tarball") in $project did not succeed"

# One body of checks, run on what `import` and what `require` give.
cat >checks.cjs <<'EOF'
module.exports = async function checkPackage(pkg, how) {
  const expected = ['InMemoryTaskExecutionsStorage', 'DurableExecutionError', 'createSuperjsonSerializer', 'DurableExecutor', 'createPgTaskExecutionsStorage', 'createDatabase']
  const missing = expected.filter((name) => typeof pkg[name] !== 'function')
  if (missing.length > 0) throw new Error(`${how} lacks exports: ${missing.join(', ')}`)

  const serializer = pkg.createSuperjsonSerializer()
  const value = { at: new Date(0), ids: new Set(['a']), n: 1n }
  const back = await serializer.deserialize(await serializer.serialize(value))
  if (!(back.at instanceof Date) || !(back.ids instanceof Set) || !back.ids.has('a') || back.n !== 1n) {
    throw new Error(`${how}: the superjson serializer lost Date, Set or BigInt in a round trip`)
  }
  const storage = new pkg.InMemoryTaskExecutionsStorage()
  await storage.deleteAll()
  if (!(new pkg.DurableExecutionNotFoundError('x') instanceof pkg.DurableExecutionError)) {
    throw new Error(`${how}: DurableExecutionNotFoundError is not a DurableExecutionError`)
  }
  // Errors print their class name (`error.name` comes from the class): the bundler must not rename one.
  const errorClasses = Object.entries(pkg).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
  if (errorClasses.length < 5) throw new Error(`${how}: found only ${errorClasses.length} exported error classes`)
  const renamed = errorClasses.filter(([exported, value]) => value.name !== exported).map(([exported, value]) => `${exported} as ${value.name}`)
  if (renamed.length > 0) throw new Error(`${how}: error classes renamed in the build (set keepNames in tsup.config.ts): ${renamed.join(', ')}`)
  const printed = String(new pkg.DurableExecutionError('boom'))
  if (printed !== 'DurableExecutionError: boom') throw new Error(`${how}: a DurableExecutionError prints as ${JSON.stringify(printed)}`)
  console.log(`${how}: ok`)
}
EOF

cat >check.mjs <<'EOF'
import * as pkg from 'durable-execution-drizzle'
import * as testing from 'durable-execution-drizzle/testing'
import checkPackage from './checks.cjs'

import { createPgTaskExecutionsTable } from 'durable-execution-drizzle/pg'
import { createMySqlTaskExecutionsTable } from 'durable-execution-drizzle/mysql'
import { createSQLiteTaskExecutionsTable } from 'durable-execution-drizzle/sqlite'
import { createDatabase } from 'durable-execution-drizzle/jobs'

if (typeof testing.runStorageTest !== 'function') throw new Error('ESM import of /testing lacks runStorageTest')
for (const create of [createPgTaskExecutionsTable, createMySqlTaskExecutionsTable, createSQLiteTaskExecutionsTable]) {
  if (typeof create('task_executions') !== 'object') throw new Error(`ESM import: ${create.name} gave no table`)
}
if (typeof createDatabase !== 'function') throw new Error('ESM import of /jobs lacks createDatabase')
await checkPackage(pkg, 'ESM import')
EOF

cat >check.cjs <<'EOF'
if (typeof require('durable-execution-drizzle/sqlite').createSQLiteTaskExecutionsStorage !== 'function') {
  throw new Error('CJS require of /sqlite lacks createSQLiteTaskExecutionsStorage')
}
require('./checks.cjs')(require('durable-execution-drizzle'), 'CJS require').catch((error) => {
  console.error(error)
  process.exitCode = 1
})
EOF

cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": []
  },
  "include": ["check-types.mts", "check-types.cts"]
}
EOF

cat >check-types.mts <<'EOF'
import {
  InMemoryTaskExecutionsStorage,
  createSuperjsonSerializer,
  type Serializer,
  type TaskExecutionStorageValue,
  type TaskExecutionsStorage,
} from 'durable-execution-drizzle'
import type { runStorageTest } from 'durable-execution-drizzle/testing'

const storage: TaskExecutionsStorage = new InMemoryTaskExecutionsStorage()
const serializer: Serializer = createSuperjsonSerializer()
type RunStorageTest = typeof runStorageTest
export type Checked = [typeof storage, typeof serializer, TaskExecutionStorageValue['status'], RunStorageTest]
EOF

cat >check-types.cts <<'EOF'
import type { DurableExecutionError, TaskExecutionsStorage } from 'durable-execution-drizzle'
import type { runStorageTest } from 'durable-execution-drizzle/testing'

export type Checked = [DurableExecutionError['isRetryable'], TaskExecutionsStorage, typeof runStorageTest]
EOF

step "ESM import (node check.mjs)"
node check.mjs || fail "importing durable-execution-drizzle as ESM failed (see above)"

step "CommonJS require (node check.cjs, Node $(node --version))"
node check.cjs || fail "requiring durable-execution-drizzle from CommonJS failed (see above)"

step "types under NodeNext, ESM and CJS consumers (tsc --noEmit with the repo's typescript)"
"$repo/node_modules/.bin/tsc" --noEmit -p tsconfig.json \
  || fail "the published types do not type-check in a NodeNext project (see above)"

printf '\ncheck-package: ok (%s)\n' "$(basename "$tarball")"
