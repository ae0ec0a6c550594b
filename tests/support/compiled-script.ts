/**
 * Scripts for child processes, compiled once per test file: a TypeScript entry (src/cli.ts, a
 * worker fixture) bundled with tsup the way the package's build bundles dist/ (our modules in,
 * every bare import left to node_modules), so that each child is a plain `node` process. Under
 * `node --import tsx` each child spent about 1.5 s of CPU resolving and loading its modules through
 * tsx's hooks; the compiled script starts in about a third of that. The output lives under the
 * repository's git-ignored `.tmp/` (the shipped migrations are found above it, as from dist/), in a
 * folder of the test file's own, removed after its tests (an `afterAll` this module registers when
 * the file imports it), or by a later build if the run was killed.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { build } from 'tsup'
import { afterAll } from 'vitest'

/** The folder that holds one folder per test file that compiled a script. */
const COMPILED_SCRIPTS_ROOT = join(process.cwd(), '.tmp', 'compiled-scripts')

/** Whether the process `pid` still runs (so its folder may be in use). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes the folders of processes that have ended. */
function removeEndedProcessesFolders(): void {
  let names: Array<string>
  try {
    names = readdirSync(COMPILED_SCRIPTS_ROOT)
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number.parseInt(name, 10)
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) rmSync(join(COMPILED_SCRIPTS_ROOT, name), { recursive: true, force: true })
  }
}

const builds = new Map<string, Promise<string>>()
// Named `<pid>-…`: a later build removes it if this process ends without the afterAll below.
const fileFolder = join(COMPILED_SCRIPTS_ROOT, `${process.pid}-${randomBytes(4).toString('hex')}`)
afterAll(() => {
  rmSync(fileFolder, { recursive: true, force: true })
  builds.clear()
})

async function compile(script: string): Promise<string> {
  if (builds.size === 0) removeEndedProcessesFolders()
  const outDir = join(fileFolder, String(builds.size))
  mkdirSync(outDir, { recursive: true })
  await build({
    entry: [script],
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    // As tsup.config.ts: bare imports stay imports of node_modules' copies, class names stay (printed errors).
    skipNodeModulesBundle: true,
    splitting: true,
    keepNames: true,
    // Not the repository's tsup.config.ts (it builds every entry with declarations).
    config: false,
    dts: false,
    silent: true,
  })
  // With one entry, tsup writes it at the top of outDir under its own name.
  return join(outDir, basename(script).replace(/\.ts$/, '.js'))
}

/**
 * The path of `script` (a TypeScript file, relative to the repository) compiled to plain
 * JavaScript for `node <path>`; built on the first call in this test file.
 */
export function compiledScript(script: string): Promise<string> {
  let built = builds.get(script)
  if (built === undefined) {
    built = compile(script)
    builds.set(script, built)
  }
  return built
}
