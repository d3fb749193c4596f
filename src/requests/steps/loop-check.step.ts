import type { ParsedMail } from '../parsing/parsed-mail';
import type { AutoReplyVerdict, InboundMail, LoopRule, PipelineStep } from '../pipeline/inbound-mail';

interface RuleMatch {
  reason: string;
  /** Whether this kind of mail is machine-made (an auto-reply) rather than a person's mail that must not be answered. */
  isAutoReply: boolean;
}

interface LoopRuleCheck {
  rule: LoopRule;
  match(mail: ParsedMail, ownAddress: boolean): RuleMatch | null;
}

/** Local parts that send delivery reports (RFC 5321 §4.5.1 postmaster; MAILER-DAEMON by convention). */
const MAILER_DAEMON = /^(?:mailer-daemon|postmaster)@/i;
/** Outlook/Exchange out-of-office subjects, in the languages Exchange ships. */
const OUT_OF_OFFICE_SUBJECT =
  /^\s*(?:automatic reply|automatische antwort|réponse automatique|respuesta automática|risposta automatica|resposta automática|automatisch antwoord|автоматический ответ|out of office(?: autoreply)?|autosvar|automaattinen vastaus|automatyczna odpowiedź|自動応答|自动回复)\s*[:：]/iu;
const NEGATIVE = /^\s*(?:no|false|0)\s*$/i;

/**
 * The loop-protection rules of design.md, most specific first; the first that matches is
 * recorded as the rule that decided. Each matching rule means "no acknowledgement".
 */
const RULES: readonly LoopRuleCheck[] = [
  {
    rule: 'bounce',
    match: (mail) => {
      if (mail.report) {
        const type = mail.report.reportType ?? 'unknown';
        // RFC 6522 multipart/report; RFC 3464 delivery-status, RFC 8098 disposition-notification.
        return { reason: `Content-Type: multipart/report; report-type=${type}`, isAutoReply: true };
      }
      if (mail.from && MAILER_DAEMON.test(mail.from.email)) return { reason: `From: ${mail.from.email}`, isAutoReply: true };
      // RFC 5321 §4.5.5: delivery reports are sent with the null reverse-path. RFC 3834 §3.3
      // auto-responders may use it too; those are recognised by their own markers below.
      const automated = mail.automation.autoSubmitted || mail.automation.xAutoreply || mail.automation.xAutorespond;
      if (mail.automation.returnPath === '' && !automated) return { reason: 'Return-Path: <>', isAutoReply: true };
      return null;
    },
  },
  {
    rule: 'own-address',
    match: (mail, ownAddress) =>
      ownAddress ? { reason: `sent from this mailbox's own address ${mail.from?.email ?? ''}`.trim(), isAutoReply: false } : null,
  },
  {
    rule: 'out-of-office',
    match: ({ automation, subject }) => {
      // Exchange inbox rules stamp the loop header; with X-Auto-Response-Suppress it is an OOF
      // reply, alone it may be a user's forwarding rule.
      if (automation.msExchangeInboxRulesLoop && automation.autoResponseSuppress) {
        return { reason: `X-MS-Exchange-Inbox-Rules-Loop: ${automation.msExchangeInboxRulesLoop}`, isAutoReply: true };
      }
      if (/mailbox rules agent/i.test(automation.msExchangeGeneratedMessageSource ?? '')) {
        return { reason: `X-MS-Exchange-Generated-Message-Source: ${automation.msExchangeGeneratedMessageSource}`, isAutoReply: true };
      }
      return OUT_OF_OFFICE_SUBJECT.test(subject) ? { reason: `Subject: ${subject}`, isAutoReply: true } : null;
    },
  },
  {
    rule: 'auto-submitted',
    // RFC 3834 §5: any value but "no" (parameters after ";" do not change the keyword).
    match: ({ automation: { autoSubmitted } }) =>
      autoSubmitted !== null && autoSubmitted.split(';')[0].trim().toLowerCase() !== 'no'
        ? { reason: `Auto-Submitted: ${autoSubmitted}`, isAutoReply: true }
        : null,
  },
  {
    rule: 'x-autoreply',
    match: ({ automation: { xAutoreply, xAutorespond } }) => {
      if (xAutoreply !== null && !NEGATIVE.test(xAutoreply)) return { reason: `X-Autoreply: ${xAutoreply}`, isAutoReply: true };
      if (xAutorespond !== null && !NEGATIVE.test(xAutorespond)) return { reason: `X-Autorespond: ${xAutorespond}`, isAutoReply: true };
      return null;
    },
  },
  {
    rule: 'precedence',
    match: ({ automation: { precedence } }) => {
      const value = precedence?.trim().toLowerCase() ?? '';
      if (!['bulk', 'junk', 'list', 'auto_reply'].includes(value)) return null;
      // A list post is a person's mail sent through a list; bulk and junk are machine-made.
      return { reason: `Precedence: ${precedence}`, isAutoReply: value !== 'list' };
    },
  },
  {
    rule: 'list-id',
    // RFC 2919: the post came through a mailing list; answering it would mail the list.
    match: ({ automation: { listId } }) => (listId !== null ? { reason: `List-Id: ${listId}`, isAutoReply: false } : null),
  },
  {
    rule: 'x-auto-response-suppress',
    // [MS-OXCMAIL] 2.2.3.2.14: any value asks for no automatic answer.
    match: ({ automation: { autoResponseSuppress } }) =>
      autoResponseSuppress !== null ? { reason: `X-Auto-Response-Suppress: ${autoResponseSuppress}`, isAutoReply: false } : null,
  },
];

/**
 * Decides whether a mail may be acknowledged: the first matching rule, and whether the mail
 * is machine-made (true when any matching rule says so, e.g. own address + Auto-Submitted).
 */
export function classifyAutomatedMail(mail: ParsedMail, ownAddress: boolean): AutoReplyVerdict {
  let verdict: AutoReplyVerdict = { isAutoReply: false };
  for (const check of RULES) {
    const match = check.match(mail, ownAddress);
    if (!match) continue;
    if (!verdict.rule) verdict = { isAutoReply: match.isAutoReply, rule: check.rule, reason: match.reason };
    else if (match.isAutoReply) verdict.isAutoReply = true;
  }
  return verdict;
}

/**
 * Loop protection (design.md): records the verdict; bounces and own-address mail are marked
 * so that they never start requests. The decision itself is made by the decide step, once
 * the thread is known (a bounce about a request is appended to it as a note).
 */
export class LoopCheckStep implements PipelineStep {
  readonly name = 'loop-check';

  async run(mail: InboundMail): Promise<void> {
    if (!mail.parsed) return;
    mail.autoReply = classifyAutomatedMail(mail.parsed, mail.ownAddress ?? false);
    mail.bounce = mail.autoReply.rule === 'bounce';
  }
}
