/**
 * Runs a workload's child process (a process of its own, so earlier workloads do not blur its
 * memory numbers) with `--expose-gc`, and returns the JSON object its last stdout line holds.
 */
import { fork } from 'node:child_process'

/** Forks `script` with `args`; `label` names it in failures. */
export function runJsonChild(script: string, args: ReadonlyArray<string>, label: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { execArgv: [...process.execArgv, '--expose-gc'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const last = output.trim().split('\n').at(-1) ?? ''
      if (code !== 0) reject(new Error(`${label} exited with ${code}: ${output.slice(-2000)}`))
      else {
        try {
          resolve(JSON.parse(last) as Record<string, number>)
        } catch {
          reject(new Error(`${label} printed no result: ${output.slice(-2000)}`))
        }
      }
    })
  })
}
