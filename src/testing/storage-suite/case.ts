/**
 * The shape of one storage conformance case. Each case is written once, as a function of the
 * storage, and run both by the vitest suite builder (one `it` each) and by `runStorageTest`.
 */
import type { TaskExecutionsStorage } from '../../core/storage.js'

/** One storage conformance case. */
export type StorageSuiteCase = {
  /** The storage method (or contract rule) the case exercises: its `describe` group. */
  group: string
  /** The behaviour checked, used as the test name. */
  behaviour: string
  /** Number of the case in spec 5.1 B, when it is one of upstream's cases. */
  specCase?: number
  /** Runs the case on an empty storage; throws (vitest assertion) on failure. */
  run: (storage: TaskExecutionsStorage) => Promise<void>
}

/** The test name of a case: its behaviour, plus the spec case number when it has one. */
export function storageSuiteCaseName(storageCase: StorageSuiteCase): string {
  return storageCase.specCase === undefined
    ? storageCase.behaviour
    : `${storageCase.behaviour} (spec 5.1 B case ${storageCase.specCase})`
}
