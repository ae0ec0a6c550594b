/**
 * The vitest suite builder: one `describe` per storage method, one `it` per conformance case, all
 * on one storage created for the suite and emptied before every test.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'

import type { MaybePromise, TaskExecutionsStorage } from '../../core/storage.js'
import { type StorageSuiteCase, storageSuiteCaseName } from './case.js'
import { selectStorageSuiteCases } from './cases.js'

/** Options of {@link describeTaskExecutionsStorageSuite}. */
export type TaskExecutionsStorageSuiteOptions<TStorage extends TaskExecutionsStorage> = {
  /** Creates the storage under test; called once, before the first case. */
  createStorage: () => MaybePromise<TStorage>
  /** Releases the storage (closes connections, drops tables) after the last case. */
  cleanup?: (storage: TStorage) => MaybePromise<void>
  /**
   * Also declare the cases of the optional parts of the contract (fencing, expiry counts, the
   * database clock). Defaults to `true`; pass `false` for a storage written for upstream.
   */
  includeBeyondUpstreamCases?: boolean
}

function groupCases(
  cases: ReadonlyArray<StorageSuiteCase>,
): Map<string, Array<StorageSuiteCase>> {
  const groups = new Map<string, Array<StorageSuiteCase>>()
  for (const storageCase of cases) {
    const group = groups.get(storageCase.group) ?? []
    group.push(storageCase)
    groups.set(storageCase.group, group)
  }
  return groups
}

/**
 * Declares the storage conformance suite (spec 5.1 B and the rules of spec 2.1) for one storage,
 * under `describe(name)`. Each case starts with `deleteAll` and uses fresh random ids, so suites
 * on separate storages can run in parallel. Call it at the top level of a vitest test file.
 *
 * @param name - names the backend in every test title, e.g. `'in-memory'` or `'pg (PGlite)'`.
 * @param options - how to create and release the storage.
 */
export function describeTaskExecutionsStorageSuite<TStorage extends TaskExecutionsStorage>(
  name: string,
  options: TaskExecutionsStorageSuiteOptions<TStorage>,
): void {
  describe(name, () => {
    let storage: TStorage | undefined

    beforeAll(async () => {
      storage = await options.createStorage()
    })

    afterAll(async () => {
      if (!storage) return
      await storage.deleteAll()
      await options.cleanup?.(storage)
    })

    for (const [group, cases] of groupCases(selectStorageSuiteCases(options.includeBeyondUpstreamCases ?? true))) {
      describe(group, () => {
        for (const storageCase of cases) {
          it(storageSuiteCaseName(storageCase), async () => {
            if (!storage) throw new Error(`Storage ${name} was not created: see the beforeAll error`)
            await storage.deleteAll()
            await storageCase.run(storage)
          })
        }
      })
    }
  })
}
