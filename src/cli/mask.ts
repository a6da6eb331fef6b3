/**
 * Passwords never reach the terminal: every line the CLI prints about a failure goes through
 * `scrub`, which masks the password part of URLs (`postgres://user:pw@host`), `password=` pairs of
 * key/value connection strings, and any secret collected from the command line or environment.
 */

const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s]*)@/gi;
const KV_PASSWORD = /(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+)/gi;

/** Masks the password inside one connection string (URL or key/value form). */
export function maskConnectionString(text: string): string {
  return text.replace(URL_PASSWORD, '$1***@').replace(KV_PASSWORD, '$1***');
}

/** Passwords found in connection strings given on the command line or in the environment. */
export function collectSecrets(values: readonly (string | undefined)[]): string[] {
  const secrets = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    for (const m of value.matchAll(URL_PASSWORD)) {
      const pw = m[2];
      if (pw) {
        secrets.add(pw);
        try {
          secrets.add(decodeURIComponent(pw));
        } catch {
          // not percent-encoded: the raw form is enough
        }
      }
    }
    for (const m of value.matchAll(KV_PASSWORD)) {
      const pw = m[2]?.replace(/^'|'$/g, '');
      if (pw) secrets.add(pw);
    }
  }
  return [...secrets].filter((s) => s.length >= 1);
}

/** Masks connection-string passwords and every known secret in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = maskConnectionString(text);
  // Longest first, so a secret that contains another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return out;
}
