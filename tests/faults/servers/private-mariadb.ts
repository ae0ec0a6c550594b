/**
 * A private MariaDB instance for the fault suite: mariadb-install-db into a temporary folder,
 * mariadbd on a port the OS chose (127.0.0.1, socket in the folder), root without password,
 * database `test`. Restarts by stopping the process (SIGTERM, or SIGKILL as a crash) and starting
 * it again on the same data; kills connections with KILL CONNECTION. Removed on stop, and killed
 * by the process exit at the latest.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { freePort, giveToUser, runCommand, runsAsRoot, sleep, waitUntilAnswers, type PrivateServer } from './private-server.js'

/** The server binary: `MARIADBD`, else /usr/sbin/mariadbd, else `mariadbd` on the PATH. */
function mariadbdPath(): string {
  return process.env.MARIADBD ?? (existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd')
}

async function withConnection<T>(url: string, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 5_000 })
  connection.on('error', () => undefined)
  try {
    return await use(connection)
  } finally {
    await connection.end().catch(() => undefined)
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Starts a private MariaDB; takes a few seconds. */
export async function startPrivateMariaDb(): Promise<PrivateServer> {
  const folder = mkdtempSync(join(tmpdir(), 'de-faults-mariadb-'))
  const data = join(folder, 'data')
  const port = await freePort()
  const rootUrl = `mysql://root@127.0.0.1:${port}/mysql`
  const url = `mysql://root@127.0.0.1:${port}/test`
  let server: ChildProcess | undefined

  const start = async () => {
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      `--socket=${join(folder, 'sock')}`,
      `--pid-file=${join(folder, 'mariadbd.pid')}`,
      '--bind-address=127.0.0.1',
      `--log-error=${join(folder, 'error.log')}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=64M',
      '--max-connections=400',
      ...(runsAsRoot() ? ['--user=mysql'] : []),
    ]
    const child = spawn(mariadbdPath(), args, { stdio: 'ignore' })
    child.on('error', () => undefined)
    server = child
    try {
      await waitUntilAnswers(() => withConnection(rootUrl, async (connection) => void (await connection.query('select 1'))), 60_000, () => child.exitCode === null)
    } catch (error) {
      const log = existsSync(join(folder, 'error.log')) ? readFileSync(join(folder, 'error.log'), 'utf8').slice(-2_000) : ''
      throw new Error(`mariadbd did not answer on port ${port}: ${error instanceof Error ? error.message : String(error)}\n${log}`)
    }
  }
  const stopServer = async (signal: NodeJS.Signals) => {
    const child = server
    if (!child) return
    server = undefined
    child.kill(signal)
    await exited(child)
  }
  const killNow = () => {
    server?.kill('SIGKILL')
    rmSync(folder, { recursive: true, force: true })
  }
  process.once('exit', killNow)

  try {
    giveToUser(folder, 'mysql')
    await runCommand('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${data}`,
      ...(runsAsRoot() ? ['--user=mysql'] : []),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ])
    await start()
    await withConnection(rootUrl, (connection) => connection.query('create database test'))
  } catch (error) {
    process.removeListener('exit', killNow)
    killNow()
    throw error
  }

  return {
    kind: 'MariaDB',
    url,
    port,
    folder,
    async restart({ downMs = 0, crash = false } = {}) {
      await stopServer(crash ? 'SIGKILL' : 'SIGTERM')
      if (downMs > 0) await sleep(downMs)
      await start()
    },
    async killConnections(filter = () => true) {
      return withConnection(rootUrl, async (connection) => {
        const [rows] = await connection.query<Array<mysql.RowDataPacket>>(
          `select id, user, '' as application from information_schema.processlist
           where id <> connection_id() and command not in ('Daemon', 'Binlog Dump') and user <> 'system user'`,
        )
        const chosen = rows.map((row) => ({ id: Number(row.id), user: String(row.user), application: '' })).filter((row) => filter(row))
        // A connection may end between the listing and the KILL: "Unknown thread id" is fine.
        for (const { id } of chosen) await connection.query(`kill connection ${id}`).catch(() => undefined)
        return chosen.length
      })
    },
    async stop() {
      process.removeListener('exit', killNow)
      await stopServer('SIGTERM')
      rmSync(folder, { recursive: true, force: true })
    },
  }
}
