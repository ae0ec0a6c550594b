/**
 * Scripts for child processes, compiled once per test file: a TypeScript entry (src/cli.ts, a
 * worker fixture) bundled with tsup the way the package's build bundles dist/ (our modules in,
 * every bare import left to node_modules), so that each child is a plain `node` process. Under
 * `node --import tsx` each child spent about 1.5 s of CPU resolving and loading its modules through
 * tsx's hooks; the compiled script starts in about a third of that. The output lives under the
 * repository's git-ignored `.tmp/` (the shipped migrations are found above it, as from dist/), in a
 * folder named for this process, removed when it exits (and by a later build if it was killed).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { build } from 'tsup'

const ROOT = join(process.cwd(), '.tmp', 'compiled-scripts')

const builds = new Map<string, Promise<string>>()

/** Whether the process `pid` still runs (so its folder may be in use). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes the folders of processes that ended without removing theirs (a killed test run). */
function removeStaleFolders(): void {
  let names: Array<string>
  try {
    names = readdirSync(ROOT)
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number.parseInt(name, 10)
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) rmSync(join(ROOT, name), { recursive: true, force: true })
  }
}

async function compile(script: string): Promise<string> {
  const processFolder = join(ROOT, String(process.pid))
  if (builds.size === 0) {
    removeStaleFolders()
    process.once('exit', () => rmSync(processFolder, { recursive: true, force: true }))
  }
  const outDir = join(processFolder, String(builds.size))
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
 * JavaScript for `node <path>`; built on the first call in this process.
 */
export function compiledScript(script: string): Promise<string> {
  let built = builds.get(script)
  if (built === undefined) {
    built = compile(script)
    builds.set(script, built)
  }
  return built
}
