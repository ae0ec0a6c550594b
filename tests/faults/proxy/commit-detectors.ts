/**
 * Finds commits in the bytes a database client sends, for the proxy's lost-commit-reply fault.
 * Each detector frames one wire protocol (PostgreSQL frontend messages, MySQL client packets) and
 * says when a chunk completed a request after which the server's next reply answers a commit: a
 * COMMIT, or on PostgreSQL also a write sent outside a transaction, which commits on its own (the
 * storage's one-statement claims, sweeps and result writes).
 */

/** Fed every chunk a client sends, in order; answers whether the chunk ended a COMMIT request. */
export type CommitDetector = { push(chunk: Buffer): boolean }

/** Wire protocols the proxy understands. */
export type WireProtocol = 'postgres' | 'mysql'

const COMMIT_TEXT = /^\s*(commit|end)(\s+(work|transaction))?\s*;?\s*$/i
const BEGIN_TEXT = /^\s*(begin|start\s+transaction)\b/i
const ROLLBACK_TEXT = /^\s*(rollback|abort)\b/i
const WRITE_TEXT = /^\s*(insert|update|delete|merge)\b/i
const WRITING_CTE_TEXT = /^\s*with\b[\s\S]*\b(insert|update|delete)\b/i

/** Whether a statement text is a COMMIT (any case, optional `WORK`/`TRANSACTION` and semicolon). */
export function isCommitStatement(text: string): boolean {
  return COMMIT_TEXT.test(text)
}

/** What a statement does to the session's transaction: opens, commits, rolls back, writes, or none of these. */
export type StatementKind = 'begin' | 'commit' | 'rollback' | 'write' | 'other'

/** The {@link StatementKind} of a statement text. */
export function statementKind(text: string): StatementKind {
  if (COMMIT_TEXT.test(text)) return 'commit'
  if (BEGIN_TEXT.test(text)) return 'begin'
  if (ROLLBACK_TEXT.test(text)) return 'rollback'
  return WRITE_TEXT.test(text) || WRITING_CTE_TEXT.test(text) ? 'write' : 'other'
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
 * is a type byte and an int32 length that counts itself. A statement comes as a simple query ('Q'),
 * or in the extended protocol as Parse ('P') of its text, Bind ('B') of it, then Sync ('S'), after
 * which the server commits a statement sent outside a transaction. Whether the session is in a
 * transaction follows the BEGINs, COMMITs and ROLLBACKs the client sends.
 */
export function createPgCommitDetector(): CommitDetector {
  let inStartup = true
  let inTransaction = false
  let boundKind: StatementKind | undefined
  const parsedKinds = new Map<string, StatementKind>()
  /** Follows the session's transaction through a statement that ran; answers whether it committed. */
  const ran = (kind: StatementKind): boolean => {
    if (kind === 'begin') inTransaction = true
    if (kind === 'commit' || kind === 'rollback') inTransaction = false
    return kind === 'commit' || (kind === 'write' && !inTransaction)
  }
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
    if (type === 'Q') return ran(statementKind(cString(frame, 5)[0]))
    if (type === 'P') {
      const [name, next] = cString(frame, 5)
      parsedKinds.set(name, statementKind(cString(frame, next)[0]))
    } else if (type === 'B') {
      const [, next] = cString(frame, 5)
      boundKind = parsedKinds.get(cString(frame, next)[0]) ?? 'other'
    } else if (type === 'S' && boundKind !== undefined) {
      const kind = boundKind
      boundKind = undefined
      return ran(kind)
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
