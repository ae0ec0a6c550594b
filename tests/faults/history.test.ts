/**
 * The run history file: every record appended before a SIGKILL is read back, a torn last line is
 * dropped, and a broken line in the middle is reported as corruption.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseHistory, readHistoryDirectory } from './history.js'

const directory = mkdtempSync(join(tmpdir(), 'de-history-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

describe('run history file', () => {
  it('keeps every record a process appended before it was SIGKILLed', async () => {
    const writer = spawn(process.execPath, ['--import', 'tsx', 'tests/faults/fixtures/history-writer.ts', join(directory, 'killed.jsonl')], { stdio: ['ignore', 'pipe', 'pipe'] })
    let acknowledged = 0
    let buffered = ''
    let errors = ''
    writer.stderr.on('data', (chunk: Buffer) => void (errors += chunk.toString()))
    const exited = new Promise((resolve) => writer.on('exit', resolve))
    await new Promise<void>((resolve, reject) => {
      writer.once('exit', (code, signal) => reject(new Error(`The history writer exited on its own (code ${code}, signal ${signal}): ${errors}`)))
      writer.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        acknowledged = Number(lines[lines.length - 1] ?? acknowledged)
        if (acknowledged >= 500 && writer.kill('SIGKILL')) resolve()
      })
    })
    await exited
    const { records } = readHistoryDirectory(directory)
    expect(records.length).toBeGreaterThanOrEqual(acknowledged)
    expect(records.map((record) => (record.type === 'start' ? record.key : ''))).toEqual(records.map((_, index) => `k${index + 1}`))
  })

  it('drops a torn last line and keeps the lines before it', () => {
    const text = '{"type":"hello","pid":1,"at":1}\n{"type":"start","runId":"1-1","key":"a","attempt":0,"pid":1,"at":2}\n{"type":"fin'
    expect(parseHistory(text)).toEqual({
      records: [
        { type: 'hello', pid: 1, at: 1 },
        { type: 'start', runId: '1-1', key: 'a', attempt: 0, pid: 1, at: 2 },
      ],
      tornLastLine: true,
    })
  })

  it('keeps a complete last line written without its newline', () => {
    expect(parseHistory('{"type":"hello","pid":1,"at":1}')).toEqual({ records: [{ type: 'hello', pid: 1, at: 1 }], tornLastLine: false })
  })

  it('reports a broken line followed by complete ones as corruption, naming the file and line', () => {
    expect(() => parseHistory('{"type":"hello","pid":1,"at":1}\n{"ty\n{"type":"hello","pid":1,"at":2}\n', 'worker-1.jsonl')).toThrow(
      'worker-1.jsonl line 2 is not JSON although a complete line follows it',
    )
  })
})
