/**
 * A hand-written SVG bar chart of a run: one section per workload, one horizontal bar per record
 * that names a chart metric, each section scaled to its own largest value (units differ).
 */
import type { BenchRecord } from './results.js'

const WIDTH = 1100
const LABEL_WIDTH = 560
const BAR_AREA = WIDTH - LABEL_WIDTH - 150
const ROW_HEIGHT = 16
const SECTION_GAP = 26
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f']

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  return value.toPrecision(3)
}

/** The SVG document for `records`. */
export function renderBarChart(title: string, records: ReadonlyArray<BenchRecord>): string {
  const sections = new Map<string, Array<BenchRecord>>()
  for (const record of records) {
    if (!record.chart || !Number.isFinite(record.metrics[record.chart.metric])) continue
    const key = `${record.workload}: ${record.chart.metric} (${record.chart.unit})`
    const list = sections.get(key) ?? []
    list.push(record)
    sections.set(key, list)
  }
  const parts: Array<string> = []
  let y = 40
  const backends = [...new Set(records.map((record) => record.backend))]
  for (const [heading, list] of sections) {
    parts.push(`<text x="10" y="${y}" font-weight="bold" font-size="13">${escapeXml(heading)}</text>`)
    y += 8
    const max = Math.max(...list.map((record) => record.metrics[record.chart!.metric]!), 1e-9)
    for (const record of list) {
      const value = record.metrics[record.chart!.metric]!
      const width = Math.max(1, (value / max) * BAR_AREA)
      const color = PALETTE[backends.indexOf(record.backend) % PALETTE.length]
      const label = `${record.backend} | ${record.name}`
      parts.push(
        `<text x="${LABEL_WIDTH - 6}" y="${y + ROW_HEIGHT - 4}" text-anchor="end" font-size="11">${escapeXml(label.length > 92 ? `${label.slice(0, 90)}…` : label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 2}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 4}" fill="${color}"/>`,
        `<text x="${LABEL_WIDTH + width + 4}" y="${y + ROW_HEIGHT - 4}" font-size="11">${escapeXml(formatValue(value))}</text>`,
      )
      y += ROW_HEIGHT
    }
    y += SECTION_GAP
  }
  const height = y + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
