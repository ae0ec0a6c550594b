/**
 * Finds COMMITs in the bytes a database client sends, for the proxy's lost-commit-reply fault.
 * Each detector frames one wire protocol (PostgreSQL frontend messages, MySQL client packets) and
 * says when a chunk completed a request after which the server's next reply answers a COMMIT.
 */

/** Fed every chunk a client sends, in order; answers whether the chunk ended a COMMIT request. */
export type CommitDetector = { push(chunk: Buffer): boolean }

/** Wire protocols the proxy understands. */
export type WireProtocol = 'postgres' | 'mysql'

const COMMIT_TEXT = /^\s*(commit|end)(\s+(work|transaction))?\s*;?\s*$/i

/** Whether a statement text is a COMMIT (any case, optional `WORK`/`TRANSACTION` and semicolon). */
export function isCommitStatement(text: string): boolean {
  return COMMIT_TEXT.test(text)
}

/** Collects chunks and hands out complete frames; `frameLength` reads a frame's size from its head. */
function frameSplitter(headLength: () => number, frameLength: (head: Buffer) => number) {
  let pending: Buffer = Buffer.alloc(0)
  return function* frames(chunk: Buffer): Generator<Buffer> {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    let offset = 0
    for (;;) {
      const head = headLength()
      if (pending.length - offset < head) break
      const length = frameLength(pending.subarray(offset, offset + head))
      if (pending.length - offset < length) break
      const frame = pending.subarray(offset, offset + length)
      offset += length
      yield frame
    }
    pending = pending.subarray(offset)
  }
}

function cString(buffer: Buffer, start: number): [string, number] {
  const end = buffer.indexOf(0, start)
  const stop = end === -1 ? buffer.length : end
  return [buffer.toString('utf8', start, stop), stop + 1]
}

// Startup-phase request codes after which the client sends another startup-phase message.
const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104

/**
 * PostgreSQL: the startup message has no type byte (int32 length, int32 code); every later message
 * is a type byte and an int32 length that counts itself. A COMMIT comes as a simple query ('Q'), or
 * in the extended protocol as Parse ('P') of a COMMIT statement, Bind ('B') of it, then Sync ('S').
 */
export function createPgCommitDetector(): CommitDetector {
  let inStartup = true
  let boundCommit = false
  const commitStatements = new Set<string>()
  const frames = frameSplitter(
    () => (inStartup ? 8 : 5),
    (head) => (inStartup ? head.readInt32BE(0) : 1 + head.readInt32BE(1)),
  )
  const isCommitFrame = (frame: Buffer): boolean => {
    if (inStartup) {
      const code = frame.readInt32BE(4)
      if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) inStartup = false
      return false
    }
    const type = String.fromCharCode(frame[0]!)
    if (type === 'Q') return isCommitStatement(cString(frame, 5)[0])
    if (type === 'P') {
      const [name, next] = cString(frame, 5)
      if (isCommitStatement(cString(frame, next)[0])) commitStatements.add(name)
      else commitStatements.delete(name)
    } else if (type === 'B') {
      const [, next] = cString(frame, 5)
      if (commitStatements.has(cString(frame, next)[0])) boundCommit = true
    } else if (type === 'S' && boundCommit) {
      boundCommit = false
      return true
    }
    return false
  }
  return {
    push(chunk) {
      let commit = false
      for (const frame of frames(chunk)) if (isCommitFrame(frame)) commit = true
      return commit
    },
  }
}

const COM_QUERY = 0x03

/**
 * MySQL: packets are a 3-byte little-endian payload length and a sequence id. A client packet with
 * sequence id 0 starts a command (handshake and authentication packets never have id 0); COM_QUERY
 * carries the statement text after its command byte.
 */
export function createMySqlCommitDetector(): CommitDetector {
  const frames = frameSplitter(
    () => 4,
    (head) => 4 + head.readUIntLE(0, 3),
  )
  return {
    push(chunk) {
      let commit = false
      for (const frame of frames(chunk)) {
        if (frame[3] === 0 && frame[4] === COM_QUERY && isCommitStatement(frame.toString('utf8', 5))) commit = true
      }
      return commit
    },
  }
}

/** A fresh detector for one connection of `protocol`. */
export function createCommitDetector(protocol: WireProtocol): CommitDetector {
  return protocol === 'postgres' ? createPgCommitDetector() : createMySqlCommitDetector()
}
