/**
 * Hiding secrets wherever a database URL is shown: `redactDatabaseUrl` for a URL (every message
 * and log line of `createDatabase` shows URLs through it), and the same rules word by word for a
 * driver's free text. It hides more rather than less: a malformed URL (an unescaped `/`, `@`, `#`,
 * `?` or space in the password, a missing `:` or `/` after the scheme) is treated as if its
 * password ran to the last `@`.
 */

/** Names of URL parameters whose values are secrets (`password`, `sslpassword`, `authToken`, …), in any case. */
const SECRET_PARAMETER_NAME = /pass|pwd|secret|token/i

const HIDDEN = '***'

function decodedOrAsIs(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * `name=value` after `?`, `&`, `;` or `#`: a secret's value is hidden up to the end of the URL, as
 * an unescaped `&`, `=` or `#` may belong to it (the parameters after it are hidden too).
 */
function hideSecretParameters(token: string): string {
  const secret = [...token.matchAll(/[?&;#]([^=&;#?]*)=/g)].find((match) => SECRET_PARAMETER_NAME.test(decodedOrAsIs(match[1]!)))
  return secret === undefined ? token : `${token.slice(0, secret.index + secret[0].length)}${HIDDEN}`
}

/**
 * `scheme://user:password@host`: everything between the first `:` of the user part and the last
 * `@` is hidden. The user part starts after `scheme:` and its slashes, or at the start when what
 * precedes the first `:` is the user (`user:password@host`, `postgres//user:password@host`).
 */
function hideUserinfoPassword(token: string): string {
  const lastAt = token.lastIndexOf('@')
  if (lastAt < 0) return token
  const beforeAt = token.slice(0, lastAt)
  const scheme = /^[("'<[{]*[a-z][a-z0-9+.-]*:\/*/i.exec(beforeAt)?.[0]
  const userinfoStart = scheme !== undefined && (scheme.endsWith('/') || beforeAt.slice(scheme.length).includes(':')) ? scheme.length : 0
  const colon = beforeAt.indexOf(':', userinfoStart)
  return colon < 0 ? token : `${token.slice(0, colon + 1)}${HIDDEN}${token.slice(lastAt)}`
}

/**
 * A database URL as messages and logs may show it: the password of `user:password@` (well-formed
 * or not) and the value of every `password=` / `sslpassword=` / `…token=` parameter, whatever
 * its case, hidden; whitespace inside it percent-encoded (a password may hold a space). The one
 * redaction every message of `createDatabase` shows a URL through.
 */
export function redactDatabaseUrl(url: string): string {
  return redactWord(url.trim().replace(/\s/g, (space) => encodeURIComponent(space)))
}

const redactWord = (word: string) => hideUserinfoPassword(hideSecretParameters(word))

const MAX_SHOWN_URL_LENGTH = 300

/** {@link redactDatabaseUrl}, cut when very long. */
export function showDatabaseUrl(url: string): string {
  const shown = redactDatabaseUrl(url)
  return shown.length > MAX_SHOWN_URL_LENGTH ? `${shown.slice(0, MAX_SHOWN_URL_LENGTH)}…` : shown
}

/** Free text (a driver's message) with the secrets of every URL-looking word in it hidden. */
export function redactUrlsInText(text: string): string {
  return text
    .split(/(\s+)/)
    .map((word, index) => (index % 2 === 1 ? word : redactWord(word)))
    .join('')
}

/** The secret values a URL holds (its password and secret parameters), as written and decoded. */
function secretsOf(url: string): Array<string> {
  const secrets: Array<string> = []
  try {
    const parsed = new URL(url.trim())
    secrets.push(parsed.password, decodedOrAsIs(parsed.password))
    for (const [name, value] of parsed.searchParams) if (SECRET_PARAMETER_NAME.test(name)) secrets.push(value)
  } catch {
    // A URL that does not parse reached no driver: its parts were never quoted.
  }
  // Shorter values would blank out ordinary words of a message.
  return secrets.filter((secret) => secret.length >= 3)
}

/** A driver's message about `url` with the URL's secrets hidden, even where the message quotes them alone. */
export function redactSecretsOf(text: string, url: string): string {
  // Known secrets first: a URL-looking word may hold only part of one.
  const withoutSecrets = secretsOf(url).reduce((redacted, secret) => redacted.split(secret).join(HIDDEN), text)
  return redactUrlsInText(withoutSecrets)
}
