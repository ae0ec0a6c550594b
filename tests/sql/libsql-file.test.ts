import { libsqlFileBackend } from './backends.js'
import { describeSqlStorageConformance } from './conformance.js'

describeSqlStorageConformance(libsqlFileBackend)
