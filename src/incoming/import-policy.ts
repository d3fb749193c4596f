import type { Mailbox } from '../mailboxes/mailbox.entity';
import type { MailRef } from './mail-source.port';

export type ImportVerdict = 'ignore' | 'import-old' | 'import-new';

/**
 * What the FIRST run does with a message that was on the server before the mailbox
 * existed (api.md `importExisting`): `all` imports it, `none` ignores it, `since` imports
 * it when received on or after `importSince`. Old mail that is imported is marked so the
 * pipeline never acknowledges it to the requester. Later runs import everything new.
 * A message without a server receive time (POP) counts as old on the first run.
 */
export function importVerdict(mailbox: Mailbox, ref: MailRef, firstRun: boolean): ImportVerdict {
  if (!firstRun) return 'import-new';
  // Server receive times have one-second resolution (IMAP INTERNALDATE): mail from the very
  // second the mailbox was created counts as new, not as mail that was already there.
  const createdAt = Math.floor(mailbox.createdAt.getTime() / 1000) * 1000;
  const receivedAt = ref.receivedAt?.getTime() ?? null;
  const isOld = receivedAt === null || receivedAt < createdAt;
  if (!isOld) return 'import-new';
  const { importExisting, importSince } = mailbox.incoming;
  if (importExisting === 'all') return 'import-old';
  if (importExisting === 'none') return 'ignore';
  // 'since' without a receive time cannot be judged: import it (never acknowledged) rather than lose it.
  if (receivedAt === null || !importSince) return 'import-old';
  return receivedAt >= new Date(importSince).getTime() ? 'import-old' : 'ignore';
}
