/**
 * Property test of `createDatabase` URLs (fast-check, `FAST_CHECK_RUNS` cases, default 1,000):
 * generated server URLs, well-formed or not, with a planted password in the user part and/or a
 * `password=` parameter of any case. Each either opens a pool whose driver reads exactly the
 * user, password, host, port and database the URL holds (no connection is made), or fails with
 * an exported error class; and the planted password appears in no message, `String(error)`,
 * stack or cause, also when a query then fails to connect.
 */
import type { Pool as MySqlPool } from 'mysql2/promise'
import fc from 'fast-check'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { DurableExecutionStorageError } from '../../../src/core/index.js'
import { createDatabase, DatabaseOpenError, DatabaseUrlError, redactDatabaseUrl, type JobDatabase } from '../../../src/jobs-entry.js'
import { everyTextOf } from '../backends.js'
import { OutcomeTally, PROPERTY_RUNS } from './runs.js'

type GeneratedUrl = {
  readonly url: string
  /** The planted password's letters, which must never be shown. */
  readonly marker: string
  readonly family: 'postgres' | 'mysql' | 'other'
  /** Whether a query should be tried (a closed local port answers at once). */
  readonly closedPort: boolean
}

const marker = fc.stringMatching(/^[A-Za-z0-9]{10}$/).map((letters) => `Q9${letters}`)
/** Mostly one of a few values, sometimes one of the awkward others. */
const mostly = <T>(usual: ReadonlyArray<T>, awkward: ReadonlyArray<T>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...usual) }, { weight: 1, arbitrary: fc.constantFrom(...awkward) })
const special = mostly([''], ['/', '@', '#', '?', ':', ' ', '%', '%zz', 'é', '&', '=', '\\', '"', "'"])
const password = fc.tuple(special, marker, special).map(([before, core, after]) => ({ text: `${before}${core}${after}`, core }))

const scheme = mostly<[string, GeneratedUrl['family']]>(
  [['postgres', 'postgres'], ['postgresql', 'postgres'], ['mysql', 'mysql'], ['mariadb', 'mysql']],
  [['POSTGRES', 'postgres'], ['MariaDB', 'mysql'], ['mongodb', 'other'], ['postgre', 'other'], ['http', 'other'], ['', 'other']],
)
const separator = mostly(['://'], [':/', ':', '//', ':///'])
const user = mostly(['app', 'root'], ['', 'us%20er', 'ü'])
const host = mostly(['127.0.0.1', 'db.example', 'localhost'], ['', '[::1]', 'bad host', 'h_o'])
const port = mostly(['', ':1', ':5432', ':3306'], [':notaport', ':99999', ':-1', ':'])
const path = mostly(['/test'], ['', '/', '/db%20name', '/a/b', '/%zz'])
const placement = fc.constantFrom('userinfo', 'userinfo', 'query', 'both', 'none')
const parameterName = fc.constantFrom('password', 'password', 'PASSWORD', 'PassWord', 'sslpassword')
const encode = fc.boolean()
const spaces = mostly([''], [' ', '\t', ' \n'])

const generatedUrl: fc.Arbitrary<GeneratedUrl> = fc
  .record({ scheme, separator, user, host, port, path, placement, parameterName, encode, password, spaces })
  .map((parts) => {
    const [schemeText, family] = parts.scheme
    // mysql2 warns on every option it does not know: a raw ? or & in a mysql URL would make some.
    const secret = parts.encode || family === 'mysql' ? encodeURIComponent(parts.password.text) : parts.password.text
    const withUserPassword = parts.placement === 'userinfo' || parts.placement === 'both'
    const withParameter = parts.placement === 'query' || parts.placement === 'both'
    const name = family === 'mysql' ? 'password' : parts.parameterName
    const userinfo = withUserPassword ? `${parts.user}:${secret}@` : parts.user === '' ? '' : `${parts.user}@`
    const query = withParameter ? `?${name}=${secret}` : ''
    const url = `${parts.spaces}${schemeText}${parts.separator}${userinfo}${parts.host}${parts.port}${parts.path}${query}${parts.spaces}`
    return { url, marker: parts.password.core, family, closedPort: parts.host === '127.0.0.1' && parts.port === ':1' }
  })

/** What the URL holds as the WHATWG parser (and so both drivers) reads it; `undefined` when it must be refused. */
function expectedConnection(generated: GeneratedUrl) {
  if (generated.family === 'other') return undefined
  const trimmed = generated.url.trim()
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return undefined
  let parsed: URL
  try {
    parsed = new URL(trimmed)
  } catch {
    return undefined
  }
  const decode = (text: string) => decodeURIComponent(text)
  try {
    // A # starts a fragment, which no driver reads: the URL is refused (a # in a password must be %23).
    if (parsed.hostname === '' || parsed.hash !== '') return undefined
    decode(parsed.search)
    const parameter = parsed.searchParams.get('password')
    const userinfoPassword = decode(parsed.password)
    return {
      user: decode(parsed.username),
      // node-postgres (and createDatabase for mysql2) prefer a non-empty password parameter.
      password: parameter || userinfoPassword,
      host: decode(parsed.hostname).replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port === '' ? undefined : Number(parsed.port),
      database: decode(parsed.pathname.slice(1)),
    }
  } catch {
    return undefined
  }
}

/** What the opened driver will use, read from its configuration (no connection is made). */
function driverConnection(database: JobDatabase) {
  const client = (database.db as unknown as { $client: unknown }).$client
  if (database.driver === 'node-postgres') {
    const parameters = (new pg.Client((client as pg.Pool).options) as unknown as { connectionParameters: Record<string, unknown> }).connectionParameters
    return { user: parameters.user, password: parameters.password, host: parameters.host, port: parameters.port, database: parameters.database }
  }
  const config = (client as MySqlPool & { pool: { config: { connectionConfig: Record<string, unknown> } } }).pool.config.connectionConfig
  return { user: config.user, password: config.password, host: config.host, port: config.port, database: config.database }
}

function expectNoSecret(error: unknown, generated: GeneratedUrl): void {
  const texts = everyTextOf(error)
  expect(texts, `no part of the password of ${JSON.stringify(generated.url)}`).not.toContain(generated.marker)
}

describe(`createDatabase URLs, ${PROPERTY_RUNS} generated cases`, () => {
  it('open exactly what the URL says or fail with an exported error, never showing the password', async () => {
    const tally = new OutcomeTally()
    await fc.assert(
      fc.asyncProperty(generatedUrl, async (generated) => {
        expect(redactDatabaseUrl(generated.url)).not.toContain(generated.marker)
        const expected = expectedConnection(generated)
        let database: JobDatabase
        try {
          database = await createDatabase({ url: generated.url, loadEnvFile: false, maxClients: 1 })
        } catch (error) {
          expect(error).toBeInstanceOf(error instanceof DatabaseOpenError ? DatabaseOpenError : DatabaseUrlError)
          expect(expected, `${JSON.stringify(generated.url)} is refused only when malformed: ${String(error)}`).toBeUndefined()
          expectNoSecret(error, generated)
          tally.add((error as Error).constructor.name)
          return
        }
        try {
          expect(expected, `${JSON.stringify(generated.url)} opened though malformed`).toBeDefined()
          // An empty part means the driver's default (its own user, no password, the default port).
          const given = Object.fromEntries(Object.entries(expected!).filter(([, value]) => value !== '' && value !== undefined))
          const actual = driverConnection(database)
          expect(Object.fromEntries(Object.keys(given).map((key) => [key, actual[key as keyof typeof actual]]))).toEqual(given)
          if (generated.closedPort) {
            const failure = await database.workflows.count().then(() => undefined, (error: unknown) => error)
            expect(failure).toBeInstanceOf(DurableExecutionStorageError)
            expectNoSecret(failure, generated)
            tally.add('ok, then a query that cannot connect')
          } else {
            tally.add('ok')
          }
        } finally {
          await database.close()
        }
      }),
      { numRuns: PROPERTY_RUNS },
    )
    tally.print('createDatabase URLs', ['node-postgres and mysql2 pools (not connected)'])
  }, 600_000)
})
