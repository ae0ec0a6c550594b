/**
 * A private PostgreSQL instance for the fault suite: initdb into a temporary folder, a server on a
 * port the OS chose (TCP on 127.0.0.1, socket in the folder), trust authentication, database
 * `test`. Restarts with pg_ctl; kills connections with pg_terminate_backend. Removed on stop, and
 * stopped by the process exit at the latest.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { commandAs, freePort, giveToUser, runCommand, sleep, type PrivateServer, type ServerConnection } from './private-server.js'

/** The folder of initdb and pg_ctl: `PG_BINDIR`, else the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinDirectory(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : []
  if (versions.length === 0) throw new Error(`No PostgreSQL server binaries under ${root}: install postgresql or set PG_BINDIR to the folder of initdb and pg_ctl.`)
  return join(root, versions[0]!, 'bin')
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Starts a private PostgreSQL; takes about a second. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const bin = postgresBinDirectory()
  const folder = mkdtempSync(join(tmpdir(), 'de-faults-pg-'))
  const data = join(folder, 'data')
  const port = await freePort()
  const pgCtl = (...args: Array<string>) => runCommand(join(bin, 'pg_ctl'), ['-D', data, ...args], 'postgres')
  const start = () => pgCtl('-l', join(folder, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1`, 'start')
  const stopNow = () => {
    const [file, args] = commandAs('postgres', join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(file, args, { stdio: 'ignore' })
    rmSync(folder, { recursive: true, force: true })
  }
  process.once('exit', stopNow)
  try {
    giveToUser(folder, 'postgres')
    await runCommand(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-N', '-E', 'UTF8', '--locale=C'], 'postgres')
    await start()
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`
    await withClient(admin, (client) => client.query('create database test'))
  } catch (error) {
    process.removeListener('exit', stopNow)
    stopNow()
    throw error
  }
  const url = `postgres://postgres@127.0.0.1:${port}/test`

  return {
    kind: 'PostgreSQL',
    url,
    port,
    folder,
    async restart({ downMs = 0, crash = false } = {}) {
      await pgCtl('-m', crash ? 'immediate' : 'fast', '-w', '-t', '60', 'stop')
      if (downMs > 0) await sleep(downMs)
      await start()
    },
    async killConnections(filter = () => true) {
      return withClient(url, async (client) => {
        const { rows } = await client.query<{ id: number; user: string; application: string }>(
          `select pid as id, usename as "user", application_name as application from pg_stat_activity
           where backend_type = 'client backend' and pid <> pg_backend_pid()`,
        )
        const chosen = rows.filter((row: ServerConnection) => filter(row))
        for (const { id } of chosen) await client.query('select pg_terminate_backend($1, 5000)', [id])
        return chosen.length
      })
    },
    async stop() {
      process.removeListener('exit', stopNow)
      if (!existsSync(folder)) return
      await pgCtl('-m', 'fast', '-w', 'stop').catch(() => undefined)
      rmSync(folder, { recursive: true, force: true })
    },
  }
}
