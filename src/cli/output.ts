/** Printing a command's result: JSON with `--json`, otherwise aligned plain-text lines. */

/** Prints `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Prints lines on stdout. */
export function printLines(lines: ReadonlyArray<string>): void {
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** Rows as left-aligned columns under a header, each line indented by two spaces. */
export function table(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: ReadonlyArray<string>) => `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd()
  return [line(header), ...rows.map(line)]
}

/** An epoch-millisecond time as ISO 8601, or `-`. */
export function isoTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}
