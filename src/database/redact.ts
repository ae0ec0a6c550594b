/**
 * Hiding secrets in anything that shows a database URL: the one redaction every message, error
 * and log line of `createDatabase` goes through. It hides more rather than less: a malformed URL
 * (an unescaped `/`, `@`, `#` or `?` in the password, a missing `:` or `/` after the scheme) is
 * treated as if its password ran to the last `@`.
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

/** `name=value` after `?`, `&`, `;` or `#`; the value runs to the next `&` (a `#` in a password stays hidden). */
function hideSecretParameters(token: string): string {
  return token.replace(/([?&;#])([^=&;#?]*)=([^&]*)/g, (match, separator: string, name: string) =>
    SECRET_PARAMETER_NAME.test(decodedOrAsIs(name)) ? `${separator}${name}=${HIDDEN}` : match,
  )
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
  const scheme = /^[^a-z]*[a-z][a-z0-9+.-]*:\/*/i.exec(beforeAt)?.[0]
  const userinfoStart = scheme !== undefined && (scheme.endsWith('/') || beforeAt.slice(scheme.length).includes(':')) ? scheme.length : 0
  const colon = beforeAt.indexOf(':', userinfoStart)
  return colon < 0 ? token : `${token.slice(0, colon + 1)}${HIDDEN}${token.slice(lastAt)}`
}

/**
 * `text` with the secrets of every database URL in it hidden: the password of `user:password@`
 * (well-formed or not) and the value of every `password=` / `sslpassword=` / `…token=` parameter,
 * whatever its case. Words are redacted one by one, so a message may hold several URLs.
 */
export function redactDatabaseUrl(text: string): string {
  return text
    .split(/(\s+)/)
    .map((word, index) => (index % 2 === 1 ? word : hideUserinfoPassword(hideSecretParameters(word))))
    .join('')
}

const MAX_SHOWN_URL_LENGTH = 300

/**
 * A URL as a message shows it: whitespace inside it percent-encoded (so the whole URL is one word
 * to {@link redactDatabaseUrl}), secrets hidden, and cut when very long.
 */
export function showDatabaseUrl(url: string): string {
  const shown = redactDatabaseUrl(url.trim().replace(/\s/g, (space) => encodeURIComponent(space)))
  return shown.length > MAX_SHOWN_URL_LENGTH ? `${shown.slice(0, MAX_SHOWN_URL_LENGTH)}…` : shown
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
  return secretsOf(url).reduce((redacted, secret) => redacted.split(secret).join(HIDDEN), redactDatabaseUrl(text))
}
