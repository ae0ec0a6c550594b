/**
 * `.env` loading outside production: the first of a few usual places that exists is read, and
 * only variables not already set are taken from it (the process environment always wins).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** `KEY=value` lines; `#` comments, `export ` prefixes and single or double quotes are understood. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!match) continue
    const raw = match[2]!
    const quoted = /^(['"])(.*)\1$/.exec(raw)
    values[match[1]!] = quoted ? (quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n') : quoted[2]!) : raw.replace(/\s+#.*$/, '')
  }
  return values
}

/** The places looked at, in order: the working directory and its two parents (monorepo roots). */
export function envFileCandidates(cwd: string = process.cwd()): Array<string> {
  return [cwd, resolve(cwd, '..'), resolve(cwd, '../..')].map((directory) => join(directory, '.env'))
}

/**
 * Loads the first existing `.env` of {@link envFileCandidates} into `env` without overriding,
 * unless `NODE_ENV` is `production`. Returns the file read, if any.
 */
export function loadEnvFileOutsideProduction(env: NodeJS.ProcessEnv = process.env, cwd?: string): string | undefined {
  if (env.NODE_ENV === 'production') return undefined
  const file = envFileCandidates(cwd).find((candidate) => existsSync(candidate))
  if (file === undefined) return undefined
  for (const [key, value] of Object.entries(parseEnvFile(readFileSync(file, 'utf8')))) {
    if (env[key] === undefined) env[key] = value
  }
  return file
}
