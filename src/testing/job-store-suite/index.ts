/**
 * The job-store conformance suite: every repository method, the claim rules, the state machines'
 * integrity, the transaction (with its retries), batch counters, paged ETL rows, soft-delete,
 * concurrency and bulk-insert guarantees and the schema's DDL and foreign keys, run against any
 * backend. Bind it in a test file with `describeJobStoreSuite(name, { openStore })`; each test
 * runs on its own prefixed tables.
 */
import { describe } from 'vitest'
import { describeBatchCounterCases } from './batch-counters.js'
import { describeClaimCases } from './claims.js'
import { describeBaseRepositoryCases } from './crud.js'
import { describeDomainCases } from './domain.js'
import { describeEtlCases } from './etl.js'
import { describeGuaranteeCases } from './guarantees.js'
import type { JobStoreSuiteOptions } from './harness.js'
import { describeIntegrityCases } from './integrity.js'
import { describeSchemaCases } from './schema.js'
import { describeTransactionCases } from './transactions.js'

export type { JobStoreSuiteOptions, OpenedJobStore } from './harness.js'

/** Registers every job-store case under `name` (the backend's name, shown in each title). */
export function describeJobStoreSuite(name: string, options: JobStoreSuiteOptions): void {
  describe(`job store on ${name}`, () => {
    describeBaseRepositoryCases(options)
    describeDomainCases(options)
    describeClaimCases(options)
    describeIntegrityCases(options)
    describeGuaranteeCases(options)
    describeSchemaCases(options)
    describeTransactionCases(options)
    describeBatchCounterCases(options)
    describeEtlCases(options)
  })
}
