import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imapServerId, parseImapServerId, readImapCursor } from './imap-cursor';

describe('IMAP cursor', () => {
  it('reads a stored cursor, UIDVALIDITY as a string', () => {
    assert.deepEqual(readImapCursor({ uidValidity: '1795447738', lastUid: 42 }), { uidValidity: '1795447738', lastUid: 42 });
    assert.deepEqual(readImapCursor({ uidValidity: 1795447738, lastUid: '7' }), { uidValidity: '1795447738', lastUid: 7 });
  });

  it('treats a missing or foreign cursor as "from the start"', () => {
    assert.equal(readImapCursor(null), null);
    assert.equal(readImapCursor({}), null);
    assert.equal(readImapCursor({ deltaLink: 'x' }), null);
    assert.deepEqual(readImapCursor({ uidValidity: '5', lastUid: -3 }), { uidValidity: '5', lastUid: 0 });
  });

  it('round-trips a server id', () => {
    assert.equal(imapServerId('1795447738', 12), '1795447738:12');
    assert.deepEqual(parseImapServerId('1795447738:12'), { uidValidity: '1795447738', uid: 12 });
    assert.equal(parseImapServerId('00000001deadbeef'), null);
  });
});
