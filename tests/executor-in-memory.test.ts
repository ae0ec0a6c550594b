import { InMemoryTaskExecutionsStorage } from '../src/core/in-memory-storage.js'
import { describeDurableExecutorSuite, describeExecutorScenario } from '../src/testing/index.js'

for (const enableStorageBatching of [false, true]) {
  const label = `in-memory storage, batching ${enableStorageBatching ? 'on' : 'off'}`
  describeExecutorScenario(`executor scenario (${label})`, {
    createStorage: () => new InMemoryTaskExecutionsStorage(),
    enableStorageBatching,
  })
  describeDurableExecutorSuite(`durable executor (${label})`, {
    createStorage: () => new InMemoryTaskExecutionsStorage(),
    enableStorageBatching,
  })
}
