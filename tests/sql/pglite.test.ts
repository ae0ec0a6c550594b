import { afterAll } from 'vitest'
import { pgliteBackend } from './backends.js'
import { describeSqlStorageConformance } from './conformance.js'

const backend = pgliteBackend()
afterAll(() => backend.shutdown())

describeSqlStorageConformance(backend)
