/**
 * Runs one example as a user would, in its own Node process, which must exit by itself (an example
 * that leaves a pool open never ends): compiled to JavaScript as tsx would compile it (its
 * `durable-execution-drizzle` imports resolved to src/ through tsconfig.json's paths) and started
 * with plain node, which spares each child tsx's module hooks; on a server, in a database of its
 * own that is dropped afterwards.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { sql, type SQL } from 'drizzle-orm'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { SqlServerKind } from '../sql/servers.js'
import { compiledScript } from '../support/compiled-script.js'

const execFileAsync = promisify(execFile)

/** What an example printed. */
export type ExampleRun = { readonly stdout: string; readonly stderr: string }

/** Runs `examples/<file>` with `env` added; rejects with its output when it exits non-zero or hangs. */
export async function runExample(file: string, env: Record<string, string> = {}): Promise<ExampleRun> {
  const { stdout, stderr } = await execFileAsync(process.execPath, [await compiledScript(`examples/${file}`)], {
    env: { ...process.env, ...env },
    // Generous: a hung example (an open pool) fails here instead of passing.
    timeout: 120_000,
  })
  return { stdout, stderr }
}

/** Creates a database of its own on the server at `serverUrl`, and answers its URL and a drop function. */
export async function createScratchDatabase(
  kind: SqlServerKind,
  serverUrl: string,
): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> {
  const name = `examples_${randomBytes(6).toString('hex')}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  if (kind === 'PostgreSQL') {
    const run = async (statement: SQL) => {
      const pool = new pg.Pool({ connectionString: serverUrl, max: 1 })
      try {
        await drizzlePg({ client: pool }).execute(statement)
      } finally {
        await pool.end()
      }
    }
    await run(sql`create database ${sql.identifier(name)}`)
    return { url: url.toString(), drop: () => run(sql`drop database if exists ${sql.identifier(name)} with (force)`) }
  }
  const run = async (statement: SQL) => {
    const pool = mysql.createPool({ uri: serverUrl, connectionLimit: 1 })
    try {
      await drizzleMysql({ client: pool }).execute(statement)
    } finally {
      await pool.end()
    }
  }
  await run(sql`create database ${sql.identifier(name)}`)
  return { url: url.toString(), drop: () => run(sql`drop database if exists ${sql.identifier(name)}`) }
}
