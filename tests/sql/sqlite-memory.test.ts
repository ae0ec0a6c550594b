import { sqliteMemoryBackend } from './backends.js'
import { describeSqlStorageConformance } from './conformance.js'

describeSqlStorageConformance(sqliteMemoryBackend)
