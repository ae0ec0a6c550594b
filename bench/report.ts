/**
 * `tsx bench/report.ts bench/results/<run>/results.json`: prints a run's records as Markdown
 * tables, one per workload, for bench/README.md.
 */
import { readFileSync } from 'node:fs'
import type { BenchRecord } from './results.js'

const [path] = process.argv.slice(2)
if (!path) {
  console.error('Usage: tsx bench/report.ts bench/results/<run>/results.json')
  process.exit(2)
}
const document = JSON.parse(readFileSync(path, 'utf8')) as { records: Array<BenchRecord>; machine: Record<string, unknown>; mode: string; durationSeconds: number }
console.log(`Run: ${document.mode}, ${document.durationSeconds} s, ${JSON.stringify(document.machine)}\n`)
const byWorkload = new Map<string, Array<BenchRecord>>()
for (const record of document.records) byWorkload.set(record.workload, [...(byWorkload.get(record.workload) ?? []), record])
for (const [workload, records] of byWorkload) {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record.metrics)))]
  console.log(`### ${workload}\n`)
  console.log(`| backend | what | ${keys.join(' | ')} |`)
  console.log(`| --- | --- | ${keys.map(() => '---:').join(' | ')} |`)
  for (const record of records) {
    console.log(`| ${record.backend} | ${record.name} | ${keys.map((key) => record.metrics[key] ?? '').join(' | ')} |`)
  }
  console.log('')
}
