/**
 * Which source the harness picks for the SQL servers in each environment (tests/setup/server-source.ts):
 * URLs you set, the local servers, or containers; and that the runtime probe is skipped when not needed.
 */
import { describe, expect, it } from 'vitest'
import { chooseServerSources, containerRuntimeHints, containerStartFailure, type ServerSourceInputs } from './server-source.js'

const PG = 'postgres://postgres@db.example:5432/test'
const MY = 'mysql://root@db.example:3306/test'
const HOME = '/home/tester'

/** Inputs whose filesystem holds `paths`, recording every path asked about. */
function inputs(env: Record<string, string | undefined>, paths: Array<string> = []): ServerSourceInputs & { asked: Array<string> } {
  const asked: Array<string> = []
  return {
    env: { HOME, ...env },
    pathExists: (path) => {
      asked.push(path)
      return paths.includes(path)
    },
    asked,
  }
}

function sourcesOf(given: ServerSourceInputs) {
  const decision = chooseServerSources(given)
  if (decision.kind !== 'servers') throw new Error(`refused: ${decision.message}`)
  return decision
}

describe('chooseServerSources', () => {
  it('uses the local servers when no URL is set and no container runtime is found', () => {
    const given = inputs({})
    const decision = sourcesOf(given)
    expect(decision.sources).toEqual({ PG_URL: { kind: 'local-default' }, MYSQL_URL: { kind: 'local-default' } })
    expect(decision.probed).toBe(true)
    expect(given.asked.length).toBeGreaterThan(0)
  })

  it('never looks for a runtime when both URLs are set, even with Docker present', () => {
    const given = inputs({ PG_URL: PG, MYSQL_URL: MY }, ['/var/run/docker.sock'])
    const decision = sourcesOf(given)
    expect(decision.sources).toEqual({ PG_URL: { kind: 'environment', url: PG }, MYSQL_URL: { kind: 'environment', url: MY } })
    expect(decision.probed).toBe(false)
    expect(given.asked).toEqual([])
  })

  it('starts containers when no URL is set and a Docker socket exists', () => {
    const decision = sourcesOf(inputs({}, ['/var/run/docker.sock']))
    expect(decision.sources).toEqual({ PG_URL: { kind: 'container' }, MYSQL_URL: { kind: 'container' } })
    expect(decision.containersRequired).toBe(false)
  })

  it('counts DOCKER_HOST and ~/.testcontainers.properties as a runtime', () => {
    expect(sourcesOf(inputs({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).sources.PG_URL).toEqual({ kind: 'container' })
    expect(sourcesOf(inputs({}, [`${HOME}/.testcontainers.properties`])).sources.PG_URL).toEqual({ kind: 'container' })
    expect(sourcesOf(inputs({}, [`${HOME}/.docker/run/docker.sock`])).sources.PG_URL).toEqual({ kind: 'container' })
  })

  it('starts a container only for the server whose URL is unset', () => {
    const decision = sourcesOf(inputs({ PG_URL: PG }, ['/var/run/docker.sock']))
    expect(decision.sources).toEqual({ PG_URL: { kind: 'environment', url: PG }, MYSQL_URL: { kind: 'container' } })
  })

  it('with TESTCONTAINERS=1 asks for containers without probing, and requires them', () => {
    for (const value of ['1', 'true', 'YES']) {
      const given = inputs({ TESTCONTAINERS: value })
      const decision = sourcesOf(given)
      expect(decision.sources).toEqual({ PG_URL: { kind: 'container' }, MYSQL_URL: { kind: 'container' } })
      expect(decision.containersRequired).toBe(true)
      expect(given.asked).toEqual([])
    }
  })

  it('with TESTCONTAINERS=1 still uses a URL you set', () => {
    const decision = sourcesOf(inputs({ TESTCONTAINERS: '1', MYSQL_URL: MY }))
    expect(decision.sources).toEqual({ PG_URL: { kind: 'container' }, MYSQL_URL: { kind: 'environment', url: MY } })
  })

  it('with TESTCONTAINERS=0 keeps the local servers and never probes', () => {
    const given = inputs({ TESTCONTAINERS: '0' }, ['/var/run/docker.sock'])
    expect(sourcesOf(given).sources).toEqual({ PG_URL: { kind: 'local-default' }, MYSQL_URL: { kind: 'local-default' } })
    expect(given.asked).toEqual([])
  })

  it('treats an empty TESTCONTAINERS or URL as unset', () => {
    const decision = sourcesOf(inputs({ TESTCONTAINERS: '', PG_URL: '' }))
    expect(decision.sources.PG_URL).toEqual({ kind: 'local-default' })
  })

  it('refuses a TESTCONTAINERS value it does not understand, naming it and the accepted ones', () => {
    const decision = chooseServerSources(inputs({ TESTCONTAINERS: 'maybe' }))
    expect(decision.kind).toBe('refused')
    if (decision.kind === 'refused') {
      expect(decision.message).toContain('TESTCONTAINERS=maybe')
      expect(decision.message).toContain('TESTCONTAINERS=1')
      expect(decision.message).toContain('TESTCONTAINERS=0')
    }
  })
})

describe('the runtime probe and the failure message', () => {
  it('looks only at local paths under HOME and XDG_RUNTIME_DIR and the system socket', () => {
    const hints = containerRuntimeHints({ HOME, XDG_RUNTIME_DIR: '/run/user/1234' })
    expect(hints).toContain('/var/run/docker.sock')
    expect(hints).toContain('/run/user/1234/docker.sock')
    expect(hints.every((path) => path.startsWith('/'))).toBe(true)
  })

  it('says what to do when TESTCONTAINERS=1 finds no runtime', () => {
    const message = containerStartFailure('Could not find a working container runtime strategy')
    expect(message).toContain('Could not find a working container runtime strategy')
    expect(message).toContain('DOCKER_HOST')
    expect(message).toContain('without TESTCONTAINERS')
  })
})
