/**
 * Vitest global setup: once per run, chooses where the SQL suites' servers come from
 * (`server-source.ts`) and, when that is containers, starts PostgreSQL 15 and MySQL 8 with
 * Testcontainers and sets `PG_URL` / `MYSQL_URL` before any test file starts (test workers and the
 * processes they spawn inherit them). Without containers it changes nothing: the suites read the
 * variables or their local defaults as before, and Testcontainers is never loaded.
 */
import { existsSync } from 'node:fs'
import { chooseServerSources, containerStartFailure, type ServerUrlVariable } from './server-source.js'

type StartedContainer = { readonly url: string; readonly stop: () => Promise<unknown> }

// The images the container path uses: the PostgreSQL major of toolchain.md; MySQL 8 because
// MariaDB has no official Testcontainers module (the MySQL 8 path is untested here: no Docker).
const POSTGRES_IMAGE = 'postgres:15-alpine'
const MYSQL_IMAGE = 'mysql:8.0'
// Throwaway credentials of containers that live for one test run on this machine only.
const CONTAINER_PASSWORD = 'test'

async function startContainer(name: ServerUrlVariable): Promise<StartedContainer> {
  if (name === 'PG_URL') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer(POSTGRES_IMAGE)
      .withDatabase('test')
      .withUsername('postgres')
      .withPassword(CONTAINER_PASSWORD)
      .start()
    return { url: container.getConnectionUri(), stop: () => container.stop() }
  }
  const { MySqlContainer } = await import('@testcontainers/mysql')
  const container = await new MySqlContainer(MYSQL_IMAGE).withDatabase('test').withRootPassword(CONTAINER_PASSWORD).start()
  // Root: the suites create their own databases.
  return { url: container.getConnectionUri(true), stop: () => container.stop() }
}

/** Starts the containers the decision asks for; returns the teardown that stops them. */
export default async function setup(): Promise<() => Promise<void>> {
  const decision = chooseServerSources({ env: process.env, pathExists: existsSync })
  if (decision.kind === 'refused') throw new Error(decision.message)
  const wanted = (Object.keys(decision.sources) as Array<ServerUrlVariable>).filter((name) => decision.sources[name].kind === 'container')
  if (wanted.length === 0) return async () => undefined

  const attempts = await Promise.allSettled(wanted.map((name) => startContainer(name)))
  const started = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []))
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((container) => container.stop()))
  }
  const failure = attempts.find((attempt) => attempt.status === 'rejected')
  if (failure !== undefined) {
    await stopAll()
    const reason = failure.reason instanceof Error ? failure.reason.message : String(failure.reason)
    if (decision.containersRequired) throw new Error(containerStartFailure(reason))
    console.warn(`!!! a container runtime was found but the test containers did not start (${reason}); using the local servers.`)
    return async () => undefined
  }
  wanted.forEach((name, index) => {
    process.env[name] = started[index]?.url
  })
  console.warn(`Test servers from containers: ${wanted.map((name) => `${name} (${name === 'PG_URL' ? POSTGRES_IMAGE : MYSQL_IMAGE})`).join(', ')}.`)
  return stopAll
}
