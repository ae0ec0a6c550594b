/**
 * `tsx bench/drain-cost.ts [--tasks=2000] [--backends=postgres] [--concurrency=100,250]
 * [--configurations=default-off,tuned-on] [--profile=file.cpuprofile]`: what one
 * drained no-op task costs, in measures the machine's load does not change: Node CPU time
 * (`process.cpuUsage`) and statements (and transactions) per task, counted at the driver from
 * `start()` to the last completion. Wall time is printed too, only for ratios within one run.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { openBackend, type BackendName } from './backends.js'
import { executorOptions, type OptionSet } from './executor-options.js'
import { drainNoOpTasks } from './workloads/end-to-end.js'

const flags = new Map(process.argv.slice(2).map((argument) => argument.replace(/^--/, '').split('=') as [string, string]))
const tasks = Number(flags.get('tasks') ?? 2000)
const backends = (flags.get('backends') ?? 'postgres').split(',') as Array<BackendName>
const concurrencies = (flags.get('concurrency') ?? '100').split(',').map(Number)
const configurations: Array<{ set: OptionSet; batching: boolean }> = (flags.get('configurations') ?? 'default-off,tuned-on')
  .split(',')
  .map((name) => ({ set: name.startsWith('tuned') ? 'tuned' : 'default', batching: name.endsWith('-on') }))

const profilePath = flags.get('profile')
const session = profilePath === undefined ? undefined : new Session()
session?.connect()
const post = (method: string) =>
  new Promise<unknown>((resolve, reject) => session?.post(method, (error, result) => (error ? reject(error) : resolve(result))))
if (session) await post('Profiler.enable')

for (const backend of backends) {
  for (const concurrency of concurrencies) {
    for (const { set, batching } of configurations) {
      const opened = await openBackend(backend)
      try {
        let cpuAtStart: NodeJS.CpuUsage | undefined
        let statementsAtStart = opened.statements.snapshot()
        // The drain's start is its first completion's predecessor: reset the counters when the
        // executor starts, i.e. once the backlog is enqueued (the first progress call comes after).
        const original = opened.storage.updateByStatusAndStartAtLessThanAndReturn.bind(opened.storage)
        opened.storage.updateByStatusAndStartAtLessThanAndReturn = (request) => {
          if (cpuAtStart === undefined) {
            cpuAtStart = process.cpuUsage()
            // The profile (if asked) covers the drain only, not the enqueue nor module loading.
            if (session) void post('Profiler.start')
            statementsAtStart = opened.statements.snapshot()
          }
          return original(request)
        }
        let cpuAtEnd: NodeJS.CpuUsage | undefined
        let statementsAtEnd = statementsAtStart
        const result = await drainNoOpTasks(opened.storage, tasks, executorOptions(set, batching, { maxConcurrentTaskExecutions: concurrency }), (completed) => {
          if (completed === tasks) {
            cpuAtEnd = process.cpuUsage(cpuAtStart)
            statementsAtEnd = opened.statements.snapshot()
            if (session) void post('Profiler.stop').then((result) => writeFileSync(profilePath!, JSON.stringify((result as { profile: unknown }).profile)))
          }
        })
        const cpuMs = cpuAtEnd ? (cpuAtEnd.user + cpuAtEnd.system) / 1000 : Number.NaN
        const per = (value: number) => (value / tasks).toFixed(3)
        console.log(
          [
            backend,
            `concurrency ${concurrency}`,
            `${set} ${batching ? 'on' : 'off'}`,
            `cpu/task ${(cpuMs / tasks * 1000).toFixed(0)} us (system ${cpuAtEnd ? (cpuAtEnd.system / tasks).toFixed(0) : '?'})`,
            `statements/task ${per(statementsAtEnd.total - statementsAtStart.total)}`,
            `transactions/task ${per(statementsAtEnd.begins - statementsAtStart.begins)}`,
            `wall ${result.drainSeconds} s`,
          ].join(' | '),
        )
      } finally {
        await opened.close()
      }
    }
  }
}
