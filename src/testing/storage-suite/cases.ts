/** Every storage conformance case, in the order both entry points run them. */
import type { StorageSuiteCase } from './case.js'
import { childrenCases } from './children.js'
import { claimCases } from './claims.js'
import { contractRuleCases } from './contract-rules.js'
import { decrementCases } from './decrement.js'
import { expirySweepCases } from './expiry-sweeps.js'
import { fencingCases } from './fencing.js'
import { getManyCases } from './get-many.js'
import { insertChildrenCases } from './insert-children.js'
import { insertManyCases } from './insert-many.js'
import { updateManyByIdCases } from './update-many-by-id.js'

/** The storage-method cases of spec 5.1 B (11-27) plus the cross-method rules of spec 2.1. */
export const storageSuiteCases: ReadonlyArray<StorageSuiteCase> = [
  ...insertManyCases,
  ...getManyCases,
  ...updateManyByIdCases,
  ...insertChildrenCases,
  ...claimCases,
  ...expirySweepCases,
  ...childrenCases,
  ...decrementCases,
  ...contractRuleCases,
]

/**
 * The cases of the optional parts of the contract (lease tokens, update matches, expiry counts,
 * the database clock). Every storage of this package passes them; a storage written for upstream
 * does not have these parts and can leave them out.
 */
export const beyondUpstreamStorageSuiteCases: ReadonlyArray<StorageSuiteCase> = fencingCases

/** The cases a suite runs: all of them, or only upstream's. */
export function selectStorageSuiteCases(includeBeyondUpstream: boolean): ReadonlyArray<StorageSuiteCase> {
  return includeBeyondUpstream ? [...storageSuiteCases, ...beyondUpstreamStorageSuiteCases] : storageSuiteCases
}
