/**
 * How the scenario configures a worker process: one JSON object in an environment variable, so
 * that the worker's command line stays short and every option has a type.
 */
import type { WorkloadTiming } from './workload.js'

/** The environment variable holding the worker's configuration. */
export const WORKER_CONFIG_ENV = 'FAULT_WORKER_CONFIG'

/** Everything a worker process needs. */
export type WorkerConfig = {
  dialect: 'pg' | 'mysql' | 'sqlite'
  /** A server URL, or the SQLite database file. */
  target: string
  tableName: string
  /** Where the worker writes its history file, `worker-<pid>.jsonl`. */
  historyDirectory: string
  enableStorageBatching: boolean
  expireLeewayMs: number
  backgroundProcessIntraBatchSleepMs: number
  maxConcurrentTaskExecutions: number
  timing: WorkloadTiming
}

/** Reads the configuration from the environment, failing with what is missing. */
export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const text = env[WORKER_CONFIG_ENV]
  if (!text) throw new Error(`${WORKER_CONFIG_ENV} is not set: the fault worker is started by tests/faults/scenario.ts, which passes its configuration there.`)
  return JSON.parse(text) as WorkerConfig
}
