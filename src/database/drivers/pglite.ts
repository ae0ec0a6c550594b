/** Opens PGlite (loaded only when a pglite: URL asks for it). */
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { pgJobDialect } from '../../pg.js'

/** In memory, or persisted in `directory`. */
export async function openPglite(directory: string | undefined) {
  const client = new PGlite(directory)
  await client.waitReady
  const db = drizzle({ client })
  return { driver: 'pglite' as const, db, binding: pgJobDialect, close: () => client.close() }
}
