/**
 * `parseDatabaseUrl` and `redactDatabaseUrl`: every scheme `createDatabase` accepts picks its
 * driver and target, and a bad URL is a clear error that never shows the password: not in its
 * message, `String(error)`, stack or causes, whether the password sits in the user part (also of
 * malformed URLs) or in a `password=` parameter of any case.
 */
import { describe, expect, it } from 'vitest'
import { createDatabase, DatabaseUrlError, parseDatabaseUrl, redactDatabaseUrl } from '../../src/jobs-entry.js'
import { redactSecretsOf, redactUrlsInText } from '../../src/database/redact.js'
import { everyTextOf } from './backends.js'

describe('parseDatabaseUrl', () => {
  it.each([
    ['postgres://app:pw@db.example:5432/jobs', 'node-postgres', 'postgres://app:pw@db.example:5432/jobs'],
    ['postgresql://app@db.example/jobs', 'node-postgres', 'postgresql://app@db.example/jobs'],
    ['mysql://root@127.0.0.1:3306/test', 'mysql2', 'mysql://root@127.0.0.1:3306/test'],
    ['mariadb://root:pw@127.0.0.1:3306/test', 'mysql2', 'mysql://root:pw@127.0.0.1:3306/test'],
    [':memory:', 'better-sqlite3', ':memory:'],
    ['  :memory:  ', 'better-sqlite3', ':memory:'],
    ['sqlite::memory:', 'better-sqlite3', ':memory:'],
    ['sqlite:', 'better-sqlite3', ':memory:'],
    ['sqlite:./data/jobs.db', 'better-sqlite3', './data/jobs.db'],
    ['sqlite:///var/lib/jobs.db', 'better-sqlite3', '/var/lib/jobs.db'],
    ['file:jobs.db', 'better-sqlite3', 'jobs.db'],
    ['file:///tmp/jobs.db', 'better-sqlite3', '/tmp/jobs.db'],
    ['FILE:/tmp/jobs.db', 'better-sqlite3', '/tmp/jobs.db'],
    ['libsql:./jobs.db', 'libsql', 'file:./jobs.db'],
    ['libsql:///tmp/jobs.db', 'libsql', 'file:/tmp/jobs.db'],
    ['libsql:file:/tmp/jobs.db', 'libsql', 'file:/tmp/jobs.db'],
    ['libsql://my-db.turso.io', 'libsql', 'libsql://my-db.turso.io'],
    ['pglite:', 'pglite', undefined],
    ['pglite://', 'pglite', undefined],
    ['pglite:./pgdata', 'pglite', './pgdata'],
    ['pglite:///var/lib/pgdata', 'pglite', '/var/lib/pgdata'],
  ].map(([url, driver, target]) => [redactDatabaseUrl(url!), url!, driver, target] as const))('maps %s to its driver and target', (_title, url, driver, target) => {
    expect(parseDatabaseUrl(url)).toEqual({ driver, target })
  })

  it('rejects an unknown scheme, naming the supported ones and hiding the password', () => {
    const attempt = () => parseDatabaseUrl('mongodb://admin:hunter2@db.example/jobs')
    expect(attempt).toThrow(DatabaseUrlError)
    expect(attempt).toThrow(/Unsupported database URL mongodb:\/\/admin:\*\*\*@db\.example\/jobs: the scheme must be one of postgres:\/\//)
    expect(attempt).not.toThrow(/hunter2/)
  })

  it('rejects a URL with no scheme at all', () => {
    expect(() => parseDatabaseUrl('./jobs.db')).toThrow(/Unsupported database URL \.\/jobs\.db/)
  })

  it.each([
    ['an invalid port', 'postgres://app:hunter2@db.example:notaport/jobs', /Malformed database URL postgres:\/\/app:\*\*\*@db\.example:notaport\/jobs/],
    ['an unescaped slash in the password', 'postgres://app:hun/ter2@db.example/jobs', /Malformed database URL postgres:\/\/app:\*\*\*@db\.example\/jobs/],
    ['no host', 'mysql://root:hunter2@:3306/test', /Malformed database URL mysql:\/\/root:\*\*\*@:3306\/test/],
    ['an empty authority', 'postgres://', /names no host: expected scheme:\/\/user:password@host:port\/database/],
    ['a libsql URL without a file', 'libsql:', /names no file: use libsql:<path> or libsql:\/\/host/],
  ])('rejects a server URL with %s without showing the password', (_case, url, message) => {
    let thrown: unknown
    try {
      parseDatabaseUrl(url)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(DatabaseUrlError)
    expect((thrown as Error).message).toMatch(message)
    expect((thrown as Error).message).not.toMatch(/hunter2|ter2/)
  })
})

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://app:hunter2@db/jobs', 'postgres://app:***@db/jobs'],
    ['postgres://app:hunter2@with@at@db/jobs', 'postgres://app:***@db/jobs'],
    ['user:hunter2@db/jobs', 'user:***@db/jobs'],
    ['  postgres://app:hun ter2@db/jobs ', 'postgres://app:***@db/jobs'],
    ['postgres://app@db/jobs?password=hun ter2', 'postgres://app@db/jobs?password=***'],
  ].map(([text, redacted]) => [redacted!, text!] as const))('hides the password of what becomes %s', (redacted, text) => {
    expect(redactDatabaseUrl(text)).toBe(redacted)
  })

  it('hides the passwords of every URL in a driver message, and the known password wherever it is quoted', () => {
    const message = 'Cannot reach mysql://root:hunter2@db/x (password hunter2) nor postgres://u@h?password=other1'
    expect(redactUrlsInText(message)).toBe('Cannot reach mysql://root:***@db/x (password hunter2) nor postgres://u@h?password=***')
    expect(redactSecretsOf(message, 'mysql://root:hunter2@db/x')).toBe('Cannot reach mysql://root:***@db/x (password ***) nor postgres://u@h?password=***')
  })

  it.each([
    ['postgres://app@db/jobs?password=hunter2', 'postgres://app@db/jobs?password=***'],
    ['postgres://app@db/jobs?sslmode=require&PassWord=hunter2&x=1', 'postgres://app@db/jobs?sslmode=require&PassWord=***'],
    ['postgres://app@db/jobs?password=hun&ter2=x', 'postgres://app@db/jobs?password=***'],
    ['mysql://app@db/jobs?PASSWORD=hun#ter2', 'mysql://app@db/jobs?PASSWORD=***'],
    ['libsql://db.example?authToken=hunter2', 'libsql://db.example?authToken=***'],
    ['postgres//app:hunter2@db/jobs', 'postgres//app:***@db/jobs'],
    ['postgres:/app:hunter2@db/jobs', 'postgres:/app:***@db/jobs'],
    ['postgres:app:hunter2@db/jobs', 'postgres:app:***@db/jobs'],
    ['mysql://app:hunter2@', 'mysql://app:***@'],
    ['mysql://app:hunter2@db:99999999/x', 'mysql://app:***@db:99999999/x'],
    ['postgres://:hunter2@db/jobs', 'postgres://:***@db/jobs'],
    ["('postgres://app:hunter2@db/jobs')", "('postgres://app:***@db/jobs')"],
  ].map(([text, redacted]) => [redacted!, text!] as const))('hides the password of the malformed or parameter form that becomes %s', (redacted, text) => {
    expect(redactDatabaseUrl(text)).toBe(redacted)
  })

  it.each(['postgres://postgres@127.0.0.1:5432/test', 'sqlite:/tmp/jobs.db', ':memory:', 'sqlite:/tmp/a@b.db', 'postgres://db/x?sslmode=require'])(
    'leaves %s without a password as it is',
    (url) => {
      expect(redactDatabaseUrl(url)).toBe(url)
    },
  )
})

describe('createDatabase errors', () => {
  it.each([
    'postgres://app@db.example/jobs?password=hunter2&sslmode=bogus%zz',
    'postgres//app:hunter2@db.example/jobs',
    'postgres:/app:hunter2@db.example/jobs',
    'mysql://app:hunter2@',
    'mysql://app:hunter2@db.example:notaport/jobs',
    'mysql://app:hunter2@db.example:99999999/jobs',
    'mariadb://app:hun/ter2@db.example/jobs',
    'postgres://app:hun ter2@db.example:x/jobs',
    'postgres://app:hunter2%zz@db.example/jobs',
    'mongodb://app:hunter2@db.example/jobs?Password=hunter2',
  ].map((url) => [redactDatabaseUrl(url), url] as const))('show no part of the password of %s in the message, stack or causes', async (_title, url) => {
    const error = await createDatabase({ url, loadEnvFile: false }).then(
      async (database) => {
        await database.close()
        return undefined
      },
      (failure: unknown) => failure,
    )
    if (error === undefined) return
    expect(error).toBeInstanceOf(DatabaseUrlError)
    expect(everyTextOf(error)).not.toMatch(/hunter2|hun\/ter|hun ter|hun%20ter|ter2/)
  })
})
