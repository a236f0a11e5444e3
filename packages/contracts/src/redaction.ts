/**
 * The one rule for keeping secrets out of text we store or show (job logs, error messages, logs of
 * the services): whatever passes through redactSecrets loses
 * - the password of any URL (postgres://user:pw@host, redis://:pw@host, https://user:pw@host);
 * - anything shaped like one of our API keys (ty_ + 43 characters), and any bearer token;
 * - the value after a name that says it is secret (S3_SECRET_ACCESS_KEY=..., "password": "...", token: ...);
 * - every exact value the caller knows to be secret (secretsFromEnv: this process's credentials),
 *   wherever it appears, so that a secret printed without a telltale name is caught too.
 */
export const REDACTED = '[redacted]';

/** Variables whose whole value is a secret. */
const SECRET_VARIABLES = ['S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'ADMIN_TOKEN'];
/** Variables holding a URL whose password is a secret. */
const URL_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'STORAGE_URL', 'S3_ENDPOINT'];
/** Values shorter than this are not searched for: "1" or "ab" would blank out ordinary text. */
const MIN_SECRET_LENGTH = 6;

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:)([^\s@/'"]+)@/gi;
const BEARER = /\b(Bearer\s+)[^\s"',;]+/gi;
const API_KEY = /ty_[A-Za-z0-9_-]{16,}/g;
const NAMED_SECRET = /\b([\w.-]*(?:secret|password|passwd|token|credential|api[_-]?key)[\w.-]*)(["']?\s*[:=]\s*["']?)([^\s"',;&]+)/gi;

/** The secrets of this process's configuration: whole secret variables and the passwords in its URLs. */
export function secretsFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  const secrets = SECRET_VARIABLES.map((name) => env[name]?.trim());
  for (const name of URL_VARIABLES) {
    const value = env[name]?.trim();
    if (!value) continue;
    try {
      const password = new URL(value).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // not a URL: nothing to take from it
    }
  }
  return [...new Set(secrets.filter((secret): secret is string => secret !== undefined && secret.length >= MIN_SECRET_LENGTH))];
}

/** The text without secrets (see the module comment); `knownSecrets` are replaced wherever they appear. */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let redacted = text;
  // Longest first, so that a secret containing another is replaced whole.
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH) redacted = redacted.split(secret).join(REDACTED);
  }
  return redacted
    .replace(URL_PASSWORD, `$1${REDACTED}@`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(API_KEY, `ty_${REDACTED}`)
    .replace(NAMED_SECRET, (match, name: string, separator: string, value: string) =>
      value === REDACTED || value.startsWith(`${REDACTED}`) ? match : `${name}${separator}${REDACTED}`,
    );
}

/** Hides a password in a URL so that error messages and logs never show it. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text;
  }
}
