/** The demo's progress display: plain lines at each tenth of the chunks off a terminal, a bar on one. */
import { describe, expect, it } from 'vitest'
import { createDemoProgress } from '../../src/demo/progress.js'

function recorder(isTTY: boolean) {
  const writes: Array<string> = []
  return { isTTY, write: (text: string) => writes.push(text), writes }
}

describe('demo progress', () => {
  it('writes a plain line at the start and at each tenth of the chunks when stdout is not a terminal', () => {
    const out = recorder(false)
    let now = 0
    const progress = createDemoProgress(out, () => now)
    progress.start({ totalChunks: 20, doneChunks: 0, totalRows: 2_000, doneRows: 0 })
    for (let chunk = 0; chunk < 20; chunk++) {
      now += 1_000
      progress.chunkDone(100)
    }
    progress.stop()
    expect(out.writes).toHaveLength(11)
    expect(out.writes[0]).toBe('progress: chunks 0/20, rows 0/2000 (0%), 0 rows/s\n')
    expect(out.writes[1]).toBe('progress: chunks 2/20, rows 200/2000 (10%), 100 rows/s\n')
    expect(out.writes[10]).toBe('progress: chunks 20/20, rows 2000/2000 (100%), 100 rows/s\n')
    expect(progress.thisRun()).toEqual({ rows: 2_000, seconds: 20 })
  })

  it('counts from the chunks a resumed batch had done, and its rate from this run only', () => {
    const out = recorder(false)
    let now = 0
    const progress = createDemoProgress(out, () => now)
    progress.start({ totalChunks: 4, doneChunks: 3, totalRows: 400, doneRows: 300 })
    now += 2_000
    progress.chunkDone(100)
    expect(out.writes).toEqual(['progress: chunks 3/4, rows 300/400 (75%), 0 rows/s\n', 'progress: chunks 4/4, rows 400/400 (100%), 50 rows/s\n'])
  })

  it('draws a bar with chunks, rows and rate on a terminal', () => {
    const out = recorder(true)
    let now = 0
    const progress = createDemoProgress(out, () => now)
    progress.start({ totalChunks: 2, doneChunks: 0, totalRows: 200, doneRows: 0 })
    now += 1_000
    progress.chunkDone(100)
    progress.stop()
    const drawn = out.writes.join('')
    expect(drawn).toContain('chunks 1/2 | rows 100/200 | 100 rows/s')
    expect(drawn).not.toContain('progress: ')
  })
})
