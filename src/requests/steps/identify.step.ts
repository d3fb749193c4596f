import { isPlausibleEmail } from '../parsing/mail-headers';
import { identityOf } from '../parsing/mail-identity';
import type { MailAddress } from '../parsing/parsed-mail';
import type { InboundMail, PipelineStep } from '../pipeline/inbound-mail';

/**
 * Who the mail is from and what it is called:
 *
 * - identity: the Message-ID, or `sha256:<hex>` of the raw bytes (design.md, de-duplication).
 *   Also for quarantined mail, so a re-fetched bad mail is recognised too.
 * - requester: Reply-To, else From (design.md), display name decoded; else Sender, else the
 *   envelope sender (Return-Path) for mail whose From is missing or broken. A Reply-To that
 *   names the helpdesk itself is skipped: answering it would mail ourselves.
 * - ownAddress: From or the requester is one of the mailbox's own addresses (compared
 *   case-insensitively; RFC 5321 §2.4 allows case-sensitive local parts, no real server has one).
 *
 * Addresses are lower-cased in the requester, which is the key requests and the loop
 * breaker group by.
 */
export class IdentifyStep implements PipelineStep {
  readonly name = 'identify';
  readonly runsOnQuarantined = true;

  async run(mail: InboundMail): Promise<void> {
    mail.identity = identityOf(mail.parsed, mail.raw);
    const parsed = mail.parsed;
    if (!parsed) return;

    const ownAddresses = new Set(mail.mailbox.emailAddresses.map((address) => address.trim().toLowerCase()));
    const isOwn = (address: MailAddress | null | undefined): boolean => !!address && ownAddresses.has(address.email.toLowerCase());
    const returnPath = parsed.automation.returnPath;
    const envelopeSender = returnPath && isPlausibleEmail(returnPath) ? { name: null, email: returnPath } : null;

    const chosen = (!isOwn(parsed.replyTo) ? parsed.replyTo : null) ?? parsed.from ?? parsed.sender ?? envelopeSender;
    mail.requester = chosen ? { name: chosen.name, email: chosen.email.toLowerCase() } : null;
    mail.ownAddress = isOwn(parsed.from) || isOwn(mail.requester);
  }
}
