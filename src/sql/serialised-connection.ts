/**
 * One-connection drivers (better-sqlite3, and libsql driven by explicit BEGIN): while a transaction
 * is open on the connection, any other caller's statement would run inside it. So every statement
 * on the root handle waits its turn in a per-connection queue, and a transaction holds the queue
 * from BEGIN to COMMIT; statements on the transaction's own handle run at once. Nested
 * transactions become savepoints.
 */
import { sql, type SQL } from 'drizzle-orm'
import { createMutex, type Mutex } from '../core/mutex.js'

type TransactionHandleState = {
  readonly root: object
  readonly depth: number
  isOpen: boolean
}

const queues = new WeakMap<object, Mutex>()
const transactionHandles = new WeakMap<object, TransactionHandleState>()

function queueOf(root: object): Mutex {
  let queue = queues.get(root)
  if (queue === undefined) {
    queue = createMutex()
    queues.set(root, queue)
  }
  return queue
}

function openHandleState(db: object): TransactionHandleState | undefined {
  const state = transactionHandles.get(db)
  if (state !== undefined && !state.isOpen) {
    throw new Error(
      'A SQLite transaction handle was used after its transaction ended: use the handle only inside ' +
        'the callback that received it, and await every statement before the callback returns.',
    )
  }
  return state
}

/** A handle that shares the root's drizzle session and is known to be inside a transaction. */
function createTransactionHandle<TDb extends object>(db: TDb, root: object, depth: number): TDb {
  const handle = Object.create(db) as TDb
  transactionHandles.set(handle, { root, depth, isOpen: true })
  return handle
}

/** Runs `fn` on `db` once no transaction of another caller holds the connection. */
export async function runSerialised<TDb extends object, T>(db: TDb, fn: (db: TDb) => Promise<T>): Promise<T> {
  if (openHandleState(db) !== undefined) return fn(db)
  return queueOf(db).runExclusive(() => fn(db))
}

async function runUnit<TDb extends object, T>(
  handle: TDb,
  fn: (tx: TDb) => Promise<T>,
  run: (db: TDb, statement: SQL) => Promise<unknown>,
  statements: { readonly commit: SQL; readonly rollback: ReadonlyArray<SQL> },
): Promise<T> {
  try {
    const result = await fn(handle)
    await run(handle, statements.commit)
    return result
  } catch (error) {
    try {
      for (const statement of statements.rollback) await run(handle, statement)
    } catch {
      // The failure may already have ended the transaction; the original error is what matters.
    }
    throw error
  } finally {
    transactionHandles.get(handle)!.isOpen = false
  }
}

/**
 * Runs `fn` in a transaction on a one-connection SQLite handle: `BEGIN IMMEDIATE` (the write lock
 * up front, SQLite's stand-in for row locks) while holding the connection's queue, or a savepoint
 * when `db` is already a transaction handle.
 */
export async function runSerialisedTransaction<TDb extends object, T>(
  db: TDb,
  fn: (tx: TDb) => Promise<T>,
  run: (db: TDb, statement: SQL) => Promise<unknown>,
): Promise<T> {
  const parent = openHandleState(db)
  if (parent !== undefined) {
    const handle = createTransactionHandle(db, parent.root, parent.depth + 1)
    const name = sql.identifier(`sp_${parent.depth + 1}`)
    // A savepoint lets the inner unit fail alone without ending the outer transaction.
    await run(handle, sql`savepoint ${name}`)
    return runUnit(handle, fn, run, {
      commit: sql`release ${name}`,
      rollback: [sql`rollback to ${name}`, sql`release ${name}`],
    })
  }
  return queueOf(db).runExclusive(async () => {
    const handle = createTransactionHandle(db, db, 0)
    // IMMEDIATE takes the write lock now, so a claim's read and write see no other writer between them.
    await run(handle, sql`begin immediate`)
    return runUnit(handle, fn, run, { commit: sql`commit`, rollback: [sql`rollback`] })
  })
}

/**
 * Runs `fn` in the driver's own transaction (`begin`), for async one-file drivers whose client
 * pools connections (libsql): explicit BEGIN would land on any pooled connection, so the driver
 * must pin one. Transactions of one handle still run one at a time (no SQLITE_BUSY between our own
 * callers), root statements wait for them, and nested calls use the driver's savepoints.
 */
export async function runQueuedDriverTransaction<TDb extends object, T>(
  db: TDb,
  fn: (tx: TDb) => Promise<T>,
  begin: (db: TDb, fn: (tx: TDb) => Promise<T>) => Promise<T>,
): Promise<T> {
  const parent = openHandleState(db)
  const inTransaction = (depth: number, root: object) => async (tx: TDb) => {
    transactionHandles.set(tx, { root, depth, isOpen: true })
    try {
      return await fn(tx)
    } finally {
      transactionHandles.get(tx)!.isOpen = false
    }
  }
  if (parent !== undefined) return begin(db, inTransaction(parent.depth + 1, parent.root))
  return queueOf(db).runExclusive(() => begin(db, inTransaction(0, db)))
}
