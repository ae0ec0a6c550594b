/** Ages on the command line (`--older-than 7d`): a whole number with a unit, read as milliseconds. */
import { CliError } from './errors.js'

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * Milliseconds of `7d`, `12h`, `30m`, `45s`, `500ms` or `2w`.
 * @throws CliError naming the option and the value on anything else.
 */
export function parseDuration(text: string, optionName: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (!match) {
    throw new CliError(`Invalid ${optionName} ${JSON.stringify(text)}: use a whole number with a unit (ms, s, m, h, d or w), e.g. 7d or 12h.`)
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

/** A positive whole number option. @throws CliError naming the option and the value. */
export function parsePositiveInteger(text: string, optionName: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new CliError(`Invalid ${optionName} ${JSON.stringify(text)}: use a positive whole number.`)
  }
  return value
}
