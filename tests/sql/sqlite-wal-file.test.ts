import { sqliteWalFileBackend } from './backends.js'
import { describeSqlStorageConformance } from './conformance.js'

describeSqlStorageConformance(sqliteWalFileBackend)
