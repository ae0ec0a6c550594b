/**
 * `createDatabase` options without a running server: `DATABASE_URL` and `DB_MAX_CLIENTS` (server
 * pools open lazily, so their size is visible before any connection), `.env` loading outside
 * production that never overrides a variable already set, and table-prefix validation.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Pool as MySqlPool } from 'mysql2/promise'
import type { Pool as PgPool } from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase, envFileCandidates, InvalidJobOptionError, jobNamer, loadEnvFileOutsideProduction, parseEnvFile } from '../../src/jobs-entry.js'
import { createMySqlJobTables } from '../../src/jobs/tables/mysql.js'
import { createPgJobTables } from '../../src/jobs/tables/pg.js'
import { createSQLiteJobTables } from '../../src/jobs/tables/sqlite.js'

const PG_URL = 'postgres://app:hunter2@127.0.0.1:5432/test'
const MYSQL_URL = 'mysql://app:hunter2@127.0.0.1:3306/test'
const saved = { DATABASE_URL: process.env.DATABASE_URL, DB_MAX_CLIENTS: process.env.DB_MAX_CLIENTS }

beforeEach(() => {
  delete process.env.DATABASE_URL
  delete process.env.DB_MAX_CLIENTS
})
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

const pgPoolOf = (database: { db: unknown }) => (database.db as { $client: PgPool }).$client
const mySqlPoolOf = (database: { db: unknown }) => (database.db as { $client: MySqlPool & { pool: { config: { connectionLimit: number } } } }).$client

describe('createDatabase URL and pool size', () => {
  it('takes the URL from DATABASE_URL when none is given', async () => {
    process.env.DATABASE_URL = ':memory:'
    const database = await createDatabase({ loadEnvFile: false })
    expect(database.driver).toBe('better-sqlite3')
    expect(database.dialectName).toBe('SQLite')
    await database.close()
  })

  it('prefers the given URL over DATABASE_URL', async () => {
    process.env.DATABASE_URL = 'mongodb://nowhere'
    const database = await createDatabase({ url: ':memory:', loadEnvFile: false })
    expect(database.driver).toBe('better-sqlite3')
    await database.close()
  })

  it('says how to give a URL when there is none', async () => {
    await expect(createDatabase({ loadEnvFile: false })).rejects.toThrow(/No database URL: pass one to createDatabase or set DATABASE_URL/)
  })

  it('sizes the node-postgres pool from DB_MAX_CLIENTS, and an explicit maxClients wins', async () => {
    process.env.DB_MAX_CLIENTS = '3'
    const fromEnv = await createDatabase({ url: PG_URL, loadEnvFile: false })
    expect(fromEnv.driver).toBe('node-postgres')
    expect(pgPoolOf(fromEnv).options.max).toBe(3)
    await fromEnv.close()
    const explicit = await createDatabase({ url: PG_URL, maxClients: 7, loadEnvFile: false })
    expect(pgPoolOf(explicit).options.max).toBe(7)
    await explicit.close()
  })

  it('sizes the mysql2 pool from DB_MAX_CLIENTS for mysql:// and mariadb:// URLs', async () => {
    process.env.DB_MAX_CLIENTS = '4'
    for (const url of [MYSQL_URL, MYSQL_URL.replace('mysql:', 'mariadb:')]) {
      const database = await createDatabase({ url, loadEnvFile: false })
      expect(database.driver).toBe('mysql2')
      expect(database.dialectName).toBe('MySQL')
      expect(mySqlPoolOf(database).pool.config.connectionLimit).toBe(4)
      await database.close()
    }
  })

  it.each(['0', '-2', '2.5', 'ten'])('rejects DB_MAX_CLIENTS=%s naming the value', async (value) => {
    process.env.DB_MAX_CLIENTS = value
    const failure = createDatabase({ url: PG_URL, loadEnvFile: false })
    await expect(failure).rejects.toBeInstanceOf(InvalidJobOptionError)
    await expect(failure).rejects.toThrow(`Invalid pool size (maxClients or DB_MAX_CLIENTS) ${JSON.stringify(value)} (string): use a positive integer.`)
  })

  it('never shows the password when the URL is malformed', async () => {
    const failure = createDatabase({ url: 'postgres://app:hunter2@db:port/jobs', loadEnvFile: false })
    await expect(failure).rejects.toThrow(/Malformed database URL postgres:\/\/app:\*\*\*@db:port\/jobs/)
    await expect(failure).rejects.not.toThrow(/hunter2/)
  })
})

describe('.env loading', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'jobs-env-'))
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('parses comments, export prefixes, quotes and inline comments', () => {
    const text = ['# a comment', 'export A=1', 'B = "two words"', "C='#not a comment'", 'D=four # trailing', 'E="line\\nbreak"', 'not a line'].join('\n')
    expect(parseEnvFile(text)).toEqual({ A: '1', B: 'two words', C: '#not a comment', D: 'four', E: 'line\nbreak' })
  })

  it('fills in variables not already set and never overrides one that is', () => {
    writeFileSync(join(root, '.env'), 'DATABASE_URL=sqlite:/from/file.db\nDB_MAX_CLIENTS=9\nEMPTY_BUT_SET=from-file\n')
    const env: NodeJS.ProcessEnv = { DATABASE_URL: 'postgres://set@already/db', EMPTY_BUT_SET: '' }
    expect(loadEnvFileOutsideProduction(env, root)).toBe(join(root, '.env'))
    expect(env).toEqual({ DATABASE_URL: 'postgres://set@already/db', DB_MAX_CLIENTS: '9', EMPTY_BUT_SET: '' })
  })

  it('looks in the working directory first, then up to two parents', () => {
    const nested = join(root, 'packages', 'worker')
    mkdirSync(nested, { recursive: true })
    expect(envFileCandidates(nested)).toEqual([join(nested, '.env'), join(root, 'packages', '.env'), join(root, '.env')])
    writeFileSync(join(root, '.env'), 'FROM=root\n')
    const env: NodeJS.ProcessEnv = {}
    expect(loadEnvFileOutsideProduction(env, nested)).toBe(join(root, '.env'))
    expect(env.FROM).toBe('root')
    writeFileSync(join(nested, '.env'), 'FROM=package\n')
    const closer: NodeJS.ProcessEnv = {}
    expect(loadEnvFileOutsideProduction(closer, nested)).toBe(join(nested, '.env'))
    expect(closer.FROM).toBe('package')
  })

  it('reads nothing in production', () => {
    writeFileSync(join(root, '.env'), 'DATABASE_URL=sqlite:/from/file.db\n')
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'production' }
    expect(loadEnvFileOutsideProduction(env, root)).toBeUndefined()
    expect(env).toEqual({ NODE_ENV: 'production' })
  })

  it('reads nothing when no candidate exists', () => {
    const nested = join(root, 'a', 'b', 'c')
    mkdirSync(nested, { recursive: true })
    const env: NodeJS.ProcessEnv = {}
    expect(loadEnvFileOutsideProduction(env, nested)).toBeUndefined()
    expect(env).toEqual({})
  })
})

describe('table-prefix validation', () => {
  it.each([
    ['PostgreSQL', createPgJobTables, 34],
    ['MySQL', createMySqlJobTables, 35],
    ['SQLite', createSQLiteJobTables, 35],
  ] as const)('accepts a %s prefix up to %s characters and names the limit beyond it', (dialect, createTables, maxLength) => {
    expect(createTables('a'.repeat(maxLength)).workflows).toBeDefined()
    expect(() => createTables('a'.repeat(maxLength + 1))).toThrow(
      `Invalid job table prefix "${'a'.repeat(maxLength + 1)}" (string): for ${dialect} use letters, digits and underscores, ` +
        `starting with a letter or underscore, at most ${maxLength} characters`,
    )
  })

  it.each(['jobs-', '1jobs_', 'jobs;drop table x', 'schema.jobs_', ' jobs'])('rejects the prefix %j, quoting it', (prefix) => {
    expect(() => jobNamer(prefix, 'PostgreSQL', 63)).toThrow(InvalidJobOptionError)
    expect(() => jobNamer(prefix, 'PostgreSQL', 63)).toThrow(`Invalid job table prefix ${JSON.stringify(prefix)} (string): for PostgreSQL`)
  })

  it('rejects a prefix that is not a string', () => {
    expect(() => jobNamer(42, 'MySQL', 64)).toThrow('Invalid job table prefix 42 (number): for MySQL')
  })

  it('prefixes every name with a valid prefix, and the empty prefix keeps the defaults', () => {
    expect(jobNamer('tenant_1_', 'SQLite', 64)('workflows')).toBe('tenant_1_workflows')
    expect(jobNamer('', 'SQLite', 64)('workflows')).toBe('workflows')
  })

  it('rejects an invalid prefix given to createDatabase before touching the database', async () => {
    await expect(createDatabase({ url: ':memory:', tablePrefix: 'bad-prefix', loadEnvFile: false })).rejects.toThrow(
      'Invalid job table prefix "bad-prefix" (string): for SQLite',
    )
  })
})
