import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import { importVerdict } from './import-policy';

const createdAt = new Date('2026-11-20T12:00:00Z');
const mailbox = (importExisting: string, importSince: string | null = null) =>
  ({ createdAt, incoming: { importExisting, importSince } }) as unknown as Mailbox;
const ref = (iso: string | null) => ({ serverId: '1', size: 1, receivedAt: iso ? new Date(iso) : null, cursorAfter: {} });

describe('importVerdict', () => {
  it('imports mail that arrived after the mailbox was created as new, on any run', () => {
    assert.equal(importVerdict(mailbox('none'), ref('2026-11-21T00:00:00Z'), true), 'import-new');
    assert.equal(importVerdict(mailbox('none'), ref('2020-01-01T00:00:00Z'), false), 'import-new');
  });
  it('counts mail from the second the mailbox was created as new (INTERNALDATE has whole seconds)', () => {
    const m = { createdAt: new Date('2026-11-20T12:00:00.700Z'), incoming: { importExisting: 'none', importSince: null } } as unknown as Mailbox;
    assert.equal(importVerdict(m, ref('2026-11-20T12:00:00Z'), true), 'import-new');
    assert.equal(importVerdict(m, ref('2026-11-20T11:59:59Z'), true), 'ignore');
  });
  it('with importExisting none ignores what was already there', () => {
    assert.equal(importVerdict(mailbox('none'), ref('2026-11-19T00:00:00Z'), true), 'ignore');
    assert.equal(importVerdict(mailbox('none'), ref(null), true), 'ignore');
  });
  it('with all imports old mail, marked old (no acknowledgement)', () => {
    assert.equal(importVerdict(mailbox('all'), ref('2001-01-01T00:00:00Z'), true), 'import-old');
  });
  it('with since imports old mail from importSince on and ignores older', () => {
    const m = mailbox('since', '2026-11-13T12:00:00Z');
    assert.equal(importVerdict(m, ref('2026-11-14T00:00:00Z'), true), 'import-old');
    assert.equal(importVerdict(m, ref('2026-11-01T00:00:00Z'), true), 'ignore');
    assert.equal(importVerdict(m, ref(null), true), 'import-old');
  });
});
