/**
 * A TCP proxy between database clients and a server, for the fault suite: it forwards bytes both
 * ways until told to cut every connection, to stall (stop forwarding while the sockets stay open,
 * as a half-open network does), to resume, or to lose the reply of a COMMIT (forward the COMMIT,
 * drop the server's answer, then reset the client's connection: the commit happened, the client
 * never learns it).
 */
import net from 'node:net'
import { wallClockMs } from '../history.js'
import { createCommitDetector, type CommitDetector, type WireProtocol } from './commit-detectors.js'

/** Where the proxy forwards to and how it reads the traffic. */
export type FaultProxyOptions = {
  readonly targetPort: number
  readonly targetHost?: string
  readonly protocol: WireProtocol
  /** Source of randomness for the lost-commit-reply rate (default `Math.random`). */
  readonly random?: () => number
}

/** Counters of what went through the proxy. */
export type FaultProxyStats = {
  /** Client connections accepted. */
  connections: number
  /** COMMIT requests forwarded. */
  commits: number
  /** COMMIT replies dropped. */
  lostCommitReplies: number
  /** Connections reset by `cutAll`. */
  cutConnections: number
  /** Chunks received while stalled and held until `resume`. */
  heldChunks: number
}

/** A running proxy. */
export type FaultProxy = {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number
  readonly stats: Readonly<FaultProxyStats>
  /** When each COMMIT reply was dropped (history clock). */
  readonly lostCommitReplyTimes: ReadonlyArray<number>
  /** Resets every open connection, both sides; returns how many there were. */
  cutAll(): number
  /** Stops forwarding in both directions, keeping every socket open; new connections are held too. */
  stall(): void
  /** Forwards what was held and goes on forwarding. */
  resume(): void
  /** Drops the reply of each COMMIT with this probability, 0..1. */
  setLostCommitReplyRate(rate: number): void
  /** Drops the replies of the next `count` COMMITs, whatever the rate. */
  loseNextCommitReply(count?: number): void
  /** How many armed COMMITs (see `loseNextCommitReply`) have not come yet. */
  armedCommitReplyLosses(): number
  /** Sets the rate to 0 and forgets COMMITs armed to lose their replies that did not come. */
  stopLosingCommitReplies(): void
  /** Resets every connection and stops listening. */
  close(): Promise<void>
}

type Pair = {
  client: net.Socket
  upstream: net.Socket
  detector: CommitDetector
  heldToServer: Array<Buffer>
  heldToClient: Array<Buffer>
  /** A COMMIT was forwarded whose reply is to be dropped. */
  losingCommitReply: boolean
  closed: boolean
}

function reset(socket: net.Socket): void {
  try {
    socket.resetAndDestroy()
  } catch {
    socket.destroy()
  }
}

/** Starts a proxy on a port the OS picks, forwarding to `targetHost:targetPort`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = options.random ?? Math.random
  const pairs = new Set<Pair>()
  const stats: FaultProxyStats = { connections: 0, commits: 0, lostCommitReplies: 0, cutConnections: 0, heldChunks: 0 }
  const lostCommitReplyTimes: Array<number> = []
  let stalled = false
  let lostCommitReplyRate = 0
  let armedLosses = 0

  const closePair = (pair: Pair, abrupt: boolean) => {
    if (pair.closed) return
    pair.closed = true
    pairs.delete(pair)
    if (abrupt) {
      reset(pair.client)
      reset(pair.upstream)
    } else {
      pair.client.destroy()
      pair.upstream.destroy()
    }
  }

  const toServer = (pair: Pair, chunk: Buffer) => {
    if (pair.closed) return
    const isCommit = pair.detector.push(chunk)
    pair.upstream.write(chunk)
    if (!isCommit) return
    stats.commits++
    if (armedLosses > 0) {
      armedLosses--
      pair.losingCommitReply = true
    } else if (lostCommitReplyRate > 0 && random() < lostCommitReplyRate) {
      pair.losingCommitReply = true
    }
  }

  const toClient = (pair: Pair, chunk: Buffer) => {
    if (!pair.losingCommitReply) {
      pair.client.write(chunk)
      return
    }
    // The server answered, so the COMMIT is done; the client only sees its connection reset.
    stats.lostCommitReplies++
    lostCommitReplyTimes.push(wallClockMs())
    reset(pair.client)
    closePair(pair, false)
  }

  const server = net.createServer((client) => {
    stats.connections++
    const upstream = net.connect({ host: options.targetHost ?? '127.0.0.1', port: options.targetPort })
    const pair: Pair = { client, upstream, detector: createCommitDetector(options.protocol), heldToServer: [], heldToClient: [], losingCommitReply: false, closed: false }
    pairs.add(pair)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    client.on('data', (chunk: Buffer) => {
      if (!stalled) return toServer(pair, chunk)
      stats.heldChunks++
      pair.heldToServer.push(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!stalled) return toClient(pair, chunk)
      stats.heldChunks++
      pair.heldToClient.push(chunk)
    })
    // Errors end the pair through 'close'; the proxy itself never fails on them.
    client.on('error', () => undefined)
    upstream.on('error', () => undefined)
    client.on('close', () => closePair(pair, false))
    upstream.on('close', () => closePair(pair, false))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port

  return {
    port,
    stats,
    lostCommitReplyTimes,
    cutAll() {
      const count = pairs.size
      for (const pair of [...pairs]) closePair(pair, true)
      stats.cutConnections += count
      return count
    },
    stall() {
      // Reading on and holding what arrives is what a client sees of a half-open network: its
      // writes succeed and no answer comes; keeping the bytes lets a test observe the stall.
      stalled = true
    },
    resume() {
      stalled = false
      for (const pair of [...pairs]) {
        for (const chunk of pair.heldToServer.splice(0)) toServer(pair, chunk)
        for (const chunk of pair.heldToClient.splice(0)) if (!pair.closed) toClient(pair, chunk)
      }
    },
    setLostCommitReplyRate(rate) {
      if (!(rate >= 0 && rate <= 1)) throw new Error(`The lost commit reply rate must be between 0 and 1 [rate=${rate}]`)
      lostCommitReplyRate = rate
    },
    loseNextCommitReply(count = 1) {
      armedLosses += count
    },
    armedCommitReplyLosses() {
      return armedLosses
    },
    stopLosingCommitReplies() {
      lostCommitReplyRate = 0
      armedLosses = 0
    },
    async close() {
      for (const pair of [...pairs]) closePair(pair, true)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
