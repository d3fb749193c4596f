import type { SourceCursor } from '../../mail-source.port';

/**
 * Where an IMAP folder was left off (RFC 3501 §2.3.1.1): UIDs only grow within one
 * UIDVALIDITY, so "everything above lastUid" is exactly the new mail. UIDVALIDITY is a
 * 32-bit number that imapflow hands out as a BigInt; it is stored as a string so the
 * cursor stays plain JSON.
 */
export interface ImapCursor {
  uidValidity: string;
  lastUid: number;
}

export function readImapCursor(cursor: SourceCursor | null): ImapCursor | null {
  if (!cursor || cursor.uidValidity === undefined || cursor.uidValidity === null) return null;
  const lastUid = Number(cursor.lastUid ?? 0);
  return { uidValidity: String(cursor.uidValidity), lastUid: Number.isSafeInteger(lastUid) && lastUid > 0 ? lastUid : 0 };
}

export function toSourceCursor(cursor: ImapCursor): SourceCursor {
  return { uidValidity: cursor.uidValidity, lastUid: cursor.lastUid };
}

/** `MailRef.serverId` for IMAP: `uidValidity:uid`, unique for the life of the folder. */
export function imapServerId(uidValidity: string, uid: number): string {
  return `${uidValidity}:${uid}`;
}

export function parseImapServerId(serverId: string): { uidValidity: string; uid: number } | null {
  const match = /^(\d+):(\d+)$/.exec(serverId);
  if (!match) return null;
  return { uidValidity: match[1], uid: Number(match[2]) };
}
