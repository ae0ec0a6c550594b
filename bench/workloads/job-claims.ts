/**
 * Workload `job-claims`: `claimNextStep` throughput on every SQL backend. Eight concurrent workers
 * drain workflows of one step followed by a parallel group of three, each claim followed by its
 * `markStepSuccess`, across workflows (no workflow id given), so every claim applies the workflow,
 * position and availability rules.
 */
import type { BenchContext } from '../context.js'
import { round } from '../stats.js'
import { openJobDatabase } from './job-runner.js'

const WORKERS = 8

/** Runs the claim workload on every chosen SQL backend. */
export async function runJobClaimsWorkload(context: BenchContext): Promise<void> {
  const workflows = context.quick ? 50 : 250
  const steps = workflows * 4
  for (const backend of context.backends) {
    let opened: Awaited<ReturnType<typeof openJobDatabase>>
    try {
      opened = await openJobDatabase(backend)
    } catch (error) {
      context.results.addError('job-claims', backend, error)
      continue
    }
    if (!opened) continue
    const { database } = opened
    try {
      for (let index = 0; index < workflows; index++) {
        const workflow = await database.workflows.create({ name: 'bench' })
        await database.workflowSteps.createMany([
          { workflowId: workflow.id, name: 'first', position: 0 },
          ...['a', 'b', 'c'].map((name) => ({ workflowId: workflow.id, name, position: 1, parallelGroup: 'g' })),
        ])
      }
      let claimed = 0
      const started = performance.now()
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, worker) => {
          const workerId = `w${worker}`
          for (;;) {
            const step = await database.workflowSteps.claimNextStep({ workerId, leaseMs: 60_000, workflowName: 'bench' })
            if (step === undefined) {
              if (claimed === steps) return
              // A later position waits for another worker's step to finish.
              await new Promise((resolve) => setImmediate(resolve))
              continue
            }
            claimed++
            await database.workflowSteps.markStepSuccess(step.id, { workerId })
          }
        }),
      )
      const seconds = (performance.now() - started) / 1000
      const succeeded = await database.workflowSteps.count({ status: 'succeeded' })
      if (succeeded !== steps) throw new Error(`claimNextStep went wrong: ${succeeded} of ${steps} steps succeeded`)
      context.results.add({
        workload: 'job-claims',
        name: `claimNextStep + markStepSuccess, ${WORKERS} workers, ${steps} steps of ${workflows} workflows`,
        backend,
        config: { workers: WORKERS, steps, workflows },
        metrics: { claimsPerSecond: round(steps / seconds, 0), seconds: round(seconds, 3) },
        chart: { metric: 'claimsPerSecond', unit: 'claims/s, higher is better' },
      })
    } catch (error) {
      context.results.addError('job-claims', backend, error)
    } finally {
      await opened.close()
    }
  }
}
