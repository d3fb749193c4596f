/**
 * What may be logged of a token endpoint's answer: a bounded excerpt with anything that looks
 * like a token or secret removed. A misbehaving server (or proxy error page) can echo tokens,
 * codes or our client secret; the excerpt must still be safe for a log line and the mailbox log.
 */
export const EXCERPT_MAX_CHARS = 300;
const REDACTED = '[redacted]';

// `"access_token": "…"`, `access_token=…`, also with single quotes: the value goes.
const SECRET_FIELDS = /(["']?\b(?:access_token|refresh_token|id_token|token|code|client_secret|code_verifier|assertion|password|secret)\b["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s&,;}"']+)/gi;
// Long runs of token alphabet (JWTs, opaque tokens, base64 secrets), dotted JWT parts included.
const TOKEN_LIKE = /[A-Za-z0-9\-_~+/]{20,}={0,2}(?:\.[A-Za-z0-9\-_~+/=]{4,})*/g;
// GUIDs are trace and correlation ids (Microsoft's AADSTS errors carry them): useful, not secret.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Random tokens mix character classes; words do not. Requiring two of upper, lower and digit keeps
 * OAuth error codes (temporarily_unavailable) and content types readable.
 */
function looksRandom(run: string): boolean {
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((re) => re.test(run)).length;
  return classes >= 2 && !GUID.test(run);
}

export function redactSecrets(text: string): string {
  return text.replace(SECRET_FIELDS, (_m, key: string) => `${key}${REDACTED}`).replace(TOKEN_LIKE, (run) => (looksRandom(run) ? REDACTED : run));
}

/** One line, secrets removed, at most `max` characters. */
export function safeExcerpt(text: string, max = EXCERPT_MAX_CHARS): string {
  // Redact before cutting, so a token cut in half cannot slip through as a short run.
  const line = redactSecrets(text.slice(0, max * 8)).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
