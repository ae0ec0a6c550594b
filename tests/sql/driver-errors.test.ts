/**
 * Driver clients that emit `error` (node-postgres pools and clients, mysql2 pools) get a listener
 * from the storages and the job store, so a dropped connection never ends the process. Event
 * emitters stand in for the drivers here; the fault suite (tests/faults) drops real connections.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { guardDriverErrors } from '../../src/sql/index.js'

/** Emitting `error` without a listener throws, as it would kill a process. */
function emitError(source: EventEmitter): void {
  source.emit('error', new Error('terminating connection due to administrator command'))
}

describe('driver error guard', () => {
  it('lets a pool, its new clients and the clients it hands out emit errors without throwing', () => {
    const pool = new EventEmitter()
    const idle = new EventEmitter()
    const checkedOut = new EventEmitter()
    expect(() => emitError(pool)).toThrow(/administrator command/)

    guardDriverErrors({ $client: pool })
    pool.emit('connect', idle)
    pool.emit('acquire', checkedOut)
    expect(() => emitError(pool)).not.toThrow()
    expect(() => emitError(idle)).not.toThrow()
    expect(() => emitError(checkedOut)).not.toThrow()
  })

  it("guards the core pool a mysql2 promise pool wraps, and its connections", () => {
    const core = new EventEmitter()
    const connection = new EventEmitter()
    guardDriverErrors({ $client: { pool: core } })
    core.emit('connection', connection)
    expect(() => emitError(core)).not.toThrow()
    expect(() => emitError(connection)).not.toThrow()
  })

  it('adds one listener however often a client is guarded, and ignores clients without events', () => {
    const pool = new EventEmitter()
    guardDriverErrors({ $client: pool })
    guardDriverErrors({ $client: pool })
    expect(pool.listenerCount('error')).toBe(1)
    expect(() => guardDriverErrors({ $client: { prepare: () => undefined } })).not.toThrow()
    expect(() => guardDriverErrors(undefined)).not.toThrow()
  })
})
