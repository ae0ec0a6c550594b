/**
 * OS-process workers for the multi-process tests: a worker script (compiled to JavaScript once
 * per test file) runs in its own Node process with its own connection, prints `ready`, waits for `go` on stdin, then prints its result as one JSON line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { compiledScript } from '../support/compiled-script.js'

/** A running worker process, its output lines and its exit. */
export type WorkerProcess = { readonly child: ChildProcessWithoutNullStreams; readonly lines: AsyncIterator<string>; readonly exited: Promise<number | null> }

/** Starts `script` (relative to the repository) with `args`; `name` appears in its failure. */
export async function startWorkerProcess(script: string, args: ReadonlyArray<string>, name: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [await compiledScript(script), ...args], { cwd: process.cwd() })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve)).then((code) => {
    if (code !== 0) throw new Error(`worker ${name} exited with ${code}: ${stderr}`)
    return code
  })
  // Marked handled: a worker killed after a failed assertion must not also raise an unhandled rejection.
  exited.catch(() => undefined)
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), exited }
}

/** The worker's next output line; fails when it exits first. */
export async function nextLine(worker: WorkerProcess): Promise<string> {
  const next = await Promise.race([worker.lines.next(), worker.exited.then(() => ({ done: true as const, value: undefined }))])
  if (next.done === true) throw new Error('worker ended before printing its line')
  return next.value
}

/** Waits until every worker is `ready`, sends `go` to all at once, and returns each one's JSON result after it exits. */
export async function runTogether<T>(workers: ReadonlyArray<WorkerProcess>): Promise<Array<T>> {
  for (const worker of workers) {
    const line = await nextLine(worker)
    if (line !== 'ready') throw new Error(`expected "ready" from a worker, got ${JSON.stringify(line)}`)
  }
  for (const worker of workers) worker.child.stdin.write('go\n')
  const results = await Promise.all(workers.map(async (worker) => JSON.parse(await nextLine(worker)) as T))
  await Promise.all(workers.map((worker) => worker.exited))
  return results
}
