/**
 * What the fault suite asks of a private database server (one it started itself, on a port the OS
 * chose, so that restarting it or killing its connections disturbs no other test), and the
 * helpers both kinds share: a free port, running a command as the server's system user, waiting.
 */
import { execFile, execFileSync } from 'node:child_process'
import { chownSync } from 'node:fs'
import net from 'node:net'
import { promisify } from 'node:util'

/** A client connection as the server lists it. */
export type ServerConnection = { readonly id: number; readonly user: string; readonly application: string }

/** A private server; `url` names its database `test`. */
export type PrivateServer = {
  readonly kind: 'PostgreSQL' | 'MariaDB'
  readonly url: string
  readonly port: number
  /** The temporary folder holding its data, socket and log. */
  readonly folder: string
  /**
   * Stops the server (cleanly, or killed as a crash would), keeps it down `downMs`, and starts it
   * again on the same data and port.
   */
  restart(options?: { downMs?: number; crash?: boolean }): Promise<void>
  /** Kills every client connection but the caller's (or those `filter` picks); returns how many. */
  killConnections(filter?: (connection: ServerConnection) => boolean): Promise<number>
  /** Stops the server and removes its folder; a second call does nothing. */
  stop(): Promise<void>
}

/** A port nobody listens on now, chosen by the OS. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const run = promisify(execFile)

/** Whether this process runs as root, when servers must be run as their own system user. */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0
}

/** The file and arguments that run `command` as the system `user` (through runuser when we are root). */
export function commandAs(user: string, command: string, args: ReadonlyArray<string>): [string, Array<string>] {
  return runsAsRoot() ? ['runuser', ['-u', user, '--', command, ...args]] : [command, [...args]]
}

/** Runs `command` (as `user`, if given, when we are root) and returns its output; failures carry stderr. */
export async function runCommand(command: string, args: ReadonlyArray<string>, user?: string): Promise<string> {
  const [file, fullArgs] = user === undefined ? [command, [...args]] : commandAs(user, command, args)
  try {
    const { stdout } = await run(file, fullArgs, { maxBuffer: 16 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string }
    throw new Error(`${command} ${args.join(' ')} failed: ${(stderr || stdout || String(error)).trim().slice(-2_000)}`)
  }
}

/** Hands `directory` to the system `user` when we are root, so the server may write in it. */
export function giveToUser(directory: string, user: string): void {
  if (!runsAsRoot()) return
  const uid = Number(execFileSync('id', ['-u', user]).toString())
  const gid = Number(execFileSync('id', ['-g', user]).toString())
  chownSync(directory, uid, gid)
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Retries `probe` until it resolves or `timeoutMs` passes, then rethrows its last error. */
export async function waitUntilAnswers(probe: () => Promise<void>, timeoutMs: number, stillStarting: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await probe()
      return
    } catch (error) {
      if (Date.now() > deadline || !stillStarting()) throw error
      await sleep(100)
    }
  }
}
