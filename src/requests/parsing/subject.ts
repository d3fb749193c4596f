/**
 * Subject handling for threading and the loop breaker.
 *
 * The request token `[##<number>##]` is what outgoing subjects carry (design.md,
 * "Threading"); replies keep it through any number of "Re:"/"AW:" prefixes.
 */
const REQUEST_TOKEN = /\[##(\d{1,9})##\]/;
const REQUEST_TOKENS = /\[##\d{1,9}##\]/g;

/**
 * Reply and forward prefixes as mail clients write them: English (Re, Fwd, Fw), German
 * (AW, WG), Nordic (SV, VS, VB, Antw), Dutch (Antw, Doorst), French (Réf, TR), Spanish and
 * Portuguese (RE, RV, ENC, Res), Polish (Odp, PD), Turkish (YNT, ILT), Czech (Odp, Fwd),
 * Russian (Ответ, Отв, Пересл), Chinese (回复, 回覆, 答复, 转发, 轉寄), Japanese (返信, 転送),
 * plus Outlook's counters ("RE[2]:", "Re(3):") and out-of-office prefixes, so that an
 * auto-reply ping-pong collapses to the subject it started with.
 */
const PREFIX = new RegExp(
  '^(?:' +
    [
      're', 'fwd?', 'aw', 'wg', 'sv', 'vs', 'vb', 'antw', 'doorst', 'réf', 'ref', 'tr', 'rv', 'enc', 'res',
      'odp', 'pd', 'ynt', 'ilt', 'ответ', 'отв', 'пересл', '回复', '回覆', '答复', '转发', '轉寄', '返信', '転送',
      'auto(?:matic)?[ -]?reply', 'automatische antwort', 'réponse automatique',
      'respuesta automática', 'risposta automatica', 'resposta automática', 'automatisch antwoord',
      'автоматический ответ', 'out of office(?: autoreply)?', '自動応答', '自动回复',
    ].join('|') +
    ')\\s*(?:\\[\\d+\\]|\\(\\d+\\))?\\s*[:：]\\s*',
  'iu',
);

/** The request number of the first `[##<number>##]` token in `subject`, or null. */
export function findRequestToken(subject: string | null | undefined): number | null {
  const match = subject ? REQUEST_TOKEN.exec(subject) : null;
  return match ? Number(match[1]) : null;
}

/**
 * The subject the loop breaker compares (api.md `loopLimit`): reply/forward prefixes (any
 * number, in any order, with the request tokens between them) and every request token
 * removed, Unicode-normalised (NFKC: full-width colons and letters fold), whitespace
 * collapsed, lower-cased.
 */
export function normalizeSubject(subject: string | null | undefined): string {
  let rest = (subject ?? '').normalize('NFKC').replace(REQUEST_TOKENS, ' ').replace(/\s+/g, ' ').trim();
  for (let previous = ''; previous !== rest; ) {
    previous = rest;
    rest = rest.replace(PREFIX, '').trim();
  }
  return rest.toLowerCase();
}
