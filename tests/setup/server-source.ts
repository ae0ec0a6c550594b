/**
 * Where the SQL suites find their PostgreSQL and MySQL-family servers: the URLs you set, the local
 * servers of toolchain.md, or containers started once for the run (Testcontainers). The choice is a
 * pure function of the environment and of which container-runtime sockets exist, so it is tested
 * without Docker; `global-setup.ts` acts on it.
 */
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'

/** The two servers the SQL suites use, by the environment variable that carries each one's URL. */
export type ServerUrlVariable = 'PG_URL' | 'MYSQL_URL'

/** Every server variable, in the order the harness reports them. */
export const SERVER_URL_VARIABLES: ReadonlyArray<ServerUrlVariable> = ['PG_URL', 'MYSQL_URL']

/** How one server is provided for the run. */
export type ServerSource =
  | { readonly kind: 'environment'; readonly url: string }
  | { readonly kind: 'local-default' }
  | { readonly kind: 'container' }

/** The harness's decision: a source per server, or a refusal that says what to do. */
export type ServerSourceDecision =
  | {
      readonly kind: 'servers'
      readonly sources: Readonly<Record<ServerUrlVariable, ServerSource>>
      /** True when `TESTCONTAINERS=1` asked for containers: a failed start then stops the run. */
      readonly containersRequired: boolean
      /** True when the runtime sockets were looked for (never when every URL is set). */
      readonly probed: boolean
    }
  | { readonly kind: 'refused'; readonly message: string }

/** What the decision reads: the environment, and whether a path exists (asked only when needed). */
export type ServerSourceInputs = {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly pathExists: (path: string) => boolean
}

/**
 * The places a local container runtime listens, the way Testcontainers looks for them: `DOCKER_HOST`
 * or a `~/.testcontainers.properties` file (either may name any runtime, Podman included), then the
 * usual Docker sockets. A file check each, no connection: the probe costs microseconds.
 */
export function containerRuntimeHints(env: Readonly<Record<string, string | undefined>>): Array<string> {
  const home = env.HOME || homedir()
  const hints = [join(home, '.testcontainers.properties'), '/var/run/docker.sock', join(home, '.docker', 'run', 'docker.sock')]
  hints.push(join(home, '.docker', 'desktop', 'docker.sock'), join('/run', 'user', String(userInfo().uid), 'docker.sock'))
  if (env.XDG_RUNTIME_DIR) hints.push(join(env.XDG_RUNTIME_DIR, 'docker.sock'))
  return hints
}

function testcontainersSetting(value: string | undefined): 'on' | 'off' | 'auto' | 'invalid' {
  if (value === undefined || value === '') return 'auto'
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return 'on'
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return 'off'
  return 'invalid'
}

/**
 * Chooses each server's source. A URL you set is always used as it is. `TESTCONTAINERS=1` starts a
 * container for every server without a URL (whether a runtime exists is then left to Testcontainers,
 * which fails with its own reason); `TESTCONTAINERS=0` keeps the local servers. Unset, containers
 * are used only when some URL is missing and a runtime socket exists (a failed start then falls back
 * to the local servers); when every URL is set the runtime is not even looked for.
 */
export function chooseServerSources(inputs: ServerSourceInputs): ServerSourceDecision {
  const setting = testcontainersSetting(inputs.env.TESTCONTAINERS)
  if (setting === 'invalid') {
    return {
      kind: 'refused',
      message:
        `TESTCONTAINERS=${inputs.env.TESTCONTAINERS ?? ''} is not understood: set TESTCONTAINERS=1 to start ` +
        'PostgreSQL and MySQL containers, TESTCONTAINERS=0 to use the local servers, or leave it unset to choose by the machine.',
    }
  }
  const missing = SERVER_URL_VARIABLES.filter((name) => !inputs.env[name])
  let useContainers = setting === 'on'
  let probed = false
  if (setting === 'auto' && missing.length > 0) {
    probed = true
    useContainers = Boolean(inputs.env.DOCKER_HOST) || containerRuntimeHints(inputs.env).some((path) => inputs.pathExists(path))
  }
  const sourceOf = (name: ServerUrlVariable): ServerSource => {
    const url = inputs.env[name]
    if (url) return { kind: 'environment', url }
    return useContainers ? { kind: 'container' } : { kind: 'local-default' }
  }
  const sources = { PG_URL: sourceOf('PG_URL'), MYSQL_URL: sourceOf('MYSQL_URL') }
  return { kind: 'servers', sources, containersRequired: setting === 'on', probed }
}

/** The message the run stops with when `TESTCONTAINERS=1` and no container could start. */
export function containerStartFailure(reason: string): string {
  return (
    `TESTCONTAINERS=1 but the test containers could not start (${reason}). Start Docker (or point ` +
    'DOCKER_HOST at a running container runtime), or run without TESTCONTAINERS to use the local servers ' +
    '(PG_URL / MYSQL_URL, defaults in CLAUDE.md).'
  )
}
