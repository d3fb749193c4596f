import crypto from 'node:crypto';

/** What GET /oauth/callback tells the admin (and the admin UI that opened the popup). */
export interface CallbackOutcome {
  ok: boolean;
  mailbox: string | null;
  side?: string | null;
  /** Success: the account that was connected. */
  user?: string | null;
  /** Failure: what went wrong, in words an admin can act on (never a token). */
  error?: string | null;
}

export interface CallbackPage {
  status: number;
  html: string;
  headers: Record<string, string>;
}

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside a <script> element: no `<` (so no `</script>` or `<!--`), and no
 * U+2028/2029, which end a line in older JavaScript parsers.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The page the provider's redirect lands on. It posts `{ type: 'deskmail:oauth', ok, mailbox }`
 * (api.md) to window.opener, addressed to this page's own origin: the admin UI that opened the
 * popup is served by this service, and no other origin needs to learn the outcome. A strict CSP
 * lets only this page's one nonce'd script and style run; the code in the URL is kept out of
 * Referer headers and caches.
 */
export function renderCallbackPage(outcome: CallbackOutcome): CallbackPage {
  const nonce = crypto.randomBytes(16).toString('base64');
  const message: Record<string, unknown> = { type: 'deskmail:oauth', ok: outcome.ok, mailbox: outcome.mailbox };
  if (outcome.side) message.side = outcome.side;
  if (!outcome.ok && outcome.error) message.error = outcome.error;
  const title = outcome.ok ? 'Mailbox connected' : 'Authorization failed';
  const detail = outcome.ok
    ? `The ${outcome.side ?? ''} mail server connection${outcome.user ? ` for ${outcome.user}` : ''} was authorized. deskmail is connecting now; you can close this window.`
    : `${outcome.error ?? 'The authorization did not complete.'} Close this window and start the authorization again from the mailbox settings.`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} – deskmail</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem;color:${outcome.ok ? '#1b7f3b' : '#b42318'}}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(detail)}</p>
<script nonce="${nonce}">
(function () {
  var message = ${scriptSafeJson(message)};
  try { if (window.opener) window.opener.postMessage(message, window.location.origin); } catch (e) {}
})();
</script>
</body>
</html>
`;
  return {
    status: outcome.ok ? 200 : 400,
    html,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    },
  };
}
