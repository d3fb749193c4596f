// Mail into requests through the REAL fetch path: fixture mails are put into the test Dovecot,
// fetched with `POST /v1/mailboxes/:id/fetch` (IMAPS → pipeline → one transaction per batch,
// a savepoint per mail → \Seen), and what each became is read back through the API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateLargeMail, mailFixtureNames, readMailFixture } from '../fixtures/mail/mail-fixtures';
import { deliver, listMessages } from '../support/dovecot';
import { startTestService, type ServiceUnderTest } from '../support/service';
import {
  deliverAll,
  fetchNow,
  helpdeskMailbox,
  ledgerByUid,
  mail,
  quarantineOf,
  requestDetail,
  unique,
} from './requests.helpers';

/** The fixture world of test/fixtures/mail/README.md: the helpdesk's own addresses. */
const OWN_ADDRESSES = ['support@helpdesk.example.com', 'help@helpdesk.example.com'];

type Expected =
  | { outcome: 'request'; subject: string; text: string; attachments?: string[]; acknowledged?: false }
  | { outcome: 'appended'; text: string; note?: boolean }
  | { outcome: 'quarantined'; reason: string }
  | { outcome: 'duplicate' };

/**
 * What every fixture becomes, with the human text it must show (exact characters: no
 * mojibake, no U+FFFD). Replies refer to the seed request (the README's #1042).
 */
const EXPECTED: Record<string, Expected> = {
  'utf8-8bit.eml': { outcome: 'request', subject: 'Grüße aus Köln – Bestellung 4711 ✓', text: 'die Lieferung ist beschädigt angekommen.\nGrüße, Jörg' },
  'utf8-quoted-printable.eml': { outcome: 'request', subject: 'Problème de connexion à l’espace client', text: 'je n’arrive pas à me connecter depuis mercredi.' },
  'utf8-base64.eml': { outcome: 'request', subject: 'Ευχαριστώ 🙏 για τη βοήθεια', text: 'Γεια σας! Το πρόβλημα λύθηκε 😀' },
  'us-ascii-7bit.eml': { outcome: 'request', subject: 'Password reset does not work', text: 'the password reset link gives a 404.' },
  'iso-8859-1-quoted-printable.eml': { outcome: 'request', subject: 'Café crème, naïve façade', text: 'Où est ma commande? Déjà payé.\nGrüße aus Österreich' },
  'iso-8859-2-8bit.eml': { outcome: 'request', subject: 'Zażółć gęślą jaźń', text: 'Proszę o pilną odpowiedź.' },
  'windows-1251-base64.eml': { outcome: 'request', subject: 'Не работает принтер', text: 'Здравствуйте! Не работает принтер в бухгалтерии.' },
  'windows-1252-quoted-printable.eml': { outcome: 'request', subject: '“Quoted” subject – 50 €', text: 'He said “it’s fine” – but it costs 50 € … really.' },
  'koi8-r-8bit.eml': { outcome: 'request', subject: 'Счёт не оплачен', text: 'Добрый день! Счёт 15 не оплачен.' },
  'shift_jis-base64.eml': { outcome: 'request', subject: '請求書について', text: 'お世話になっております。請求書の件でご連絡しました。' },
  'gb2312-base64.eml': { outcome: 'request', subject: '账户无法登录', text: '您好，我的账户无法登录。谢谢！' },
  'gbk-8bit.eml': { outcome: 'request', subject: '报告已收到', text: '朱镕基和王喆的报告已收到。' },
  'iso-2022-jp-7bit.eml': { outcome: 'request', subject: '納品書の送付について', text: 'いつもお世話になっております。\n納品書を添付いたします。' },
  'iso-2022-jp-unlabelled.eml': { outcome: 'request', subject: 'パスワード', text: 'こんにちは。パスワードを忘れました。' },
  'charset-lie-windows-1252-as-iso-8859-1.eml': { outcome: 'request', subject: 'Refund', text: 'We’re “sorry” – refund of 20 € pending…' },
  'no-charset-8bit.eml': { outcome: 'request', subject: 'Sonderanfertigung', text: 'Größe 42 – “Sonderanfertigung”, Preis 99 €' },
  // Fetched into a second mailbox whose fallbackCharset is windows-1251 (see below).
  'no-charset-8bit-cyrillic.eml': { outcome: 'request', subject: 'Refund', text: 'Прошу вернуть деньги.' },
  'utf8-label-wrong.eml': { outcome: 'request', subject: 'Facture', text: 'Ça coûte 30 € – merci.' },
  'raw-8bit-headers-koi8-r.eml': { outcome: 'request', subject: 'Заявка на ремонт', text: 'Прошу починить кондиционер.' },
  'rfc2047-split-words.eml': { outcome: 'request', subject: 'Grüße aus Zürich — 東京 and more', text: 'Encoded words everywhere.' },
  'rfc2231-filenames.eml': {
    outcome: 'request',
    subject: 'Files',
    text: 'Four files attached.',
    attachments: ['Отчёт за март 2025.pdf', 'Übersicht Künden.xlsx', '契約書.docx', 'very-long-file-name-continued.txt', 'passwd'],
  },
  'raw-utf8-filename.eml': { outcome: 'request', subject: 'Raw UTF-8 file name', text: 'Attached.', attachments: ['Übersicht März.pdf'] },
  'nested-multipart.eml': { outcome: 'request', subject: 'Chart and invoice', text: 'Please see the chart below and the invoice attached.', attachments: ['chart.png', 'invoice.pdf'] },
  'message-rfc822-attachment.eml': { outcome: 'request', subject: 'Fwd: Broken link', text: "Forwarding the customer's original mail.", attachments: ['original.eml'] },
  'calendar-invite.eml': { outcome: 'request', subject: 'Invitation: Quarterly review', text: 'You are invited: Quarterly review', attachments: ['attachment-1.ics', 'invite.ics'] },
  'tnef-winmail-dat.eml': { outcome: 'request', subject: 'Outlook rich text', text: 'See attachment.', attachments: ['winmail.dat'] },
  'cid-inline-image.eml': { outcome: 'request', subject: 'Logo', text: 'Our logo:', attachments: ['logo.gif'] },
  'html-only-hostile.eml': { outcome: 'request', subject: 'Invoice wrong', text: 'Dear support, my invoice is wrong.' },
  'missing-message-id.eml': { outcome: 'request', subject: 'No Message-ID', text: 'without a Message-ID' },
  'duplicate-message-id-first.eml': { outcome: 'request', subject: 'First mail', text: 'The first mail' },
  'duplicate-message-id-second.eml': { outcome: 'duplicate' },
  'missing-date.eml': { outcome: 'request', subject: 'No date', text: 'No Date header.' },
  'malformed-date.eml': { outcome: 'request', subject: 'Bad date', text: 'not a date' },
  'missing-from.eml': { outcome: 'request', subject: 'Disk almost full', text: 'Disk /var is 95% full.' },
  'malformed-from-salvaged.eml': { outcome: 'request', subject: 'Broken From', text: 'broken From header' },
  'malformed-from-no-address.eml': { outcome: 'quarantined', reason: 'no sender' },
  'bare-lf-line-endings.eml': { outcome: 'request', subject: 'Unix line endings', text: 'Plain text with bare LF.\nSecond line.' },
  // Dovecot never hands NUL to an IMAP client: it stores each as 0x80, which the pipeline then
  // reads with the fallback charset (windows-1252). The NUL-dropping itself is unit-tested (mail-parser.spec.ts).
  'nul-bytes.eml': { outcome: 'request', subject: 'Null€byte subject', text: 'Hello€World, NUL bytes inside.' },
  'truncated-mime.eml': { outcome: 'request', subject: 'Truncated', text: 'The attachment follows.', attachments: ['cut.pdf'] },
  'reply-with-token.eml': { outcome: 'appended', text: 'The printer still does not work.' },
  'auto-reply-rfc3834.eml': { outcome: 'appended', text: 'I am on vacation until 17 November.' },
  'outlook-out-of-office.eml': { outcome: 'appended', text: 'I am out of the office until 10 November' },
  'dsn-bounce.eml': { outcome: 'appended', text: '550 5.1.1 User unknown', note: true },
  'mailing-list-post.eml': { outcome: 'request', subject: '[users] Export to CSV fails', text: 'Exporting to CSV fails', acknowledged: false },
  'own-address.eml': { outcome: 'quarantined', reason: 'own address' },
};

/** Puts a fixture into this run's world: the seed request's number and acknowledgement stand in for #1042's. */
function adapt(raw: Buffer, world: { number: number; ackMessageId: string }): Buffer {
  const text = raw.toString('latin1');
  return Buffer.from(text.split('[##1042##]').join(`[##${world.number}##]`).split('ack-1042@helpdesk.example.com').join(world.ackMessageId), 'latin1');
}

describe('mail into requests through the real fetch path', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService();
  });
  after(async () => sut?.close());

  it('turns every fixture of the corpus into the outcome it states, with the human text decoded', async () => {
    assert.deepEqual(mailFixtureNames(), Object.keys(EXPECTED).sort(), 'every fixture has an expectation here');
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'corpus', emailAddresses: OWN_ADDRESSES, incoming: { loopLimit: { count: 50, minutes: 60 } } });

    // The world the replies refer to: the customer's first mail, acknowledged.
    const seed = mail({ from: 'Customer <customer@example.org>', subject: 'The printer does not work', messageId: '<printer-1@example.org>', body: 'It prints nothing.' });
    await deliver(mailbox.user, seed);
    assert.deepEqual(await fetchNow(sut.api, mailbox), { fetched: 1, created: 1, appended: 0, skipped: 0, quarantined: 0 });
    const [seedEntry] = (await ledgerByUid(sut.api, mailbox)).values();
    const seedRequest = await requestDetail(sut.api, seedEntry.request);
    const acknowledgement = seedRequest.messages.find((m: any) => m.direction === 'out');
    assert.ok(acknowledgement, 'the new request was acknowledged');
    assert.equal(acknowledgement.kind, 'acknowledgement');
    assert.equal(acknowledgement.subject, `[##${seedRequest.number}##] Re: The printer does not work`);
    assert.deepEqual(acknowledgement.to, [{ name: 'Customer', email: 'customer@example.org' }]);
    const world = { number: seedRequest.number, ackMessageId: acknowledgement.messageId };

    const names = mailFixtureNames().filter((name) => name !== 'no-charset-8bit-cyrillic.eml');
    const uids = await deliverAll(mailbox, names.map((name) => adapt(readMailFixture(name), world)));
    const summary = await fetchNow(sut.api, mailbox);
    assert.equal(summary.fetched, names.length);

    const cyrillic = await helpdeskMailbox(sut.api, { prefix: 'corpus-1251', incoming: { fallbackCharset: 'windows-1251' } });
    const [cyrillicUid] = await deliverAll(cyrillic, [readMailFixture('no-charset-8bit-cyrillic.eml')]);
    await fetchNow(sut.api, cyrillic);

    const ledger = await ledgerByUid(sut.api, mailbox);
    const quarantined = await quarantineOf(sut.api, mailbox);
    const failures: string[] = [];
    const seedAfter = await requestDetail(sut.api, seedRequest.id);
    for (const name of mailFixtureNames()) {
      const expected = EXPECTED[name];
      const entry = name === 'no-charset-8bit-cyrillic.eml' ? (await ledgerByUid(sut.api, cyrillic)).get(cyrillicUid) : ledger.get(uids[names.indexOf(name)]);
      try {
        assert.ok(entry, 'fetched and in the ledger');
        assert.equal(entry.outcome, expected.outcome === 'quarantined' ? 'quarantined' : expected.outcome);
        if (expected.outcome === 'request') {
          const request = await requestDetail(sut.api, entry.request);
          assert.equal(request.subject, expected.subject);
          const [first] = request.messages;
          assert.ok(first.text.includes(expected.text), `text ${JSON.stringify(first.text)} contains ${JSON.stringify(expected.text)}`);
          assert.doesNotMatch(first.text + request.subject, /\uFFFD|\u0000/);
          if (expected.attachments) assert.deepEqual(first.attachments.map((a: any) => a.filename), expected.attachments);
          if (expected.acknowledged === false) assert.equal(request.messages.filter((m: any) => m.direction === 'out').length, 0, 'not acknowledged');
        } else if (expected.outcome === 'appended') {
          assert.equal(entry.request, seedRequest.id, 'appended to the seed request');
          const message = seedAfter.messages.find((m: any) => m.direction === 'in' && m.text.includes(expected.text));
          assert.ok(message, 'the appended message shows its text');
          assert.equal(message.kind, expected.note ? 'note' : 'mail');
        } else if (expected.outcome === 'quarantined') {
          const row = quarantined.find((q: any) => q.reason === expected.reason);
          assert.ok(row, `in quarantine with reason ${expected.reason}`);
        }
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);

    // Loop protection: the auto-replies, the out-of-office and the bounce got no acknowledgement,
    // and the customer's acknowledgements are capped per hour (3) however many requests they open.
    assert.equal(seedAfter.messages.filter((m: any) => m.direction === 'out').length, 1);
    const customer = await sut.api.get('/v1/requests?q=customer@example.org&pageSize=200');
    let acknowledgements = 0;
    for (const request of customer.body.requests) {
      acknowledgements += (await requestDetail(sut.api, request.id)).messages.filter((m: any) => m.kind === 'acknowledgement').length;
    }
    assert.equal(acknowledgements, 3);
    // Everything fetched was marked \Seen after its commit.
    assert.ok((await listMessages(mailbox.user)).every((m) => m.flags.includes('\\Seen')));
  });

  it('keeps a mail bigger than the maximum size in quarantine, raw, and fetches on', async () => {
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'large' });
    const large = generateLargeMail(30 * 1024 * 1024);
    const small = mail({ from: `Small <${unique('small')}@example.org>`, subject: 'After the big one' });
    await deliverAll(mailbox, [large, small]);
    const summary = await fetchNow(sut.api, mailbox);
    assert.equal(summary.fetched, 2);
    assert.equal(summary.quarantined, 1);
    assert.equal(summary.created, 1);
    const [row] = await quarantineOf(sut.api, mailbox);
    assert.equal(row.reason, 'too large');
    assert.match(row.detail, /^the mail is 3\d\.\d MB; this mailbox accepts at most 25\.0 MB$/);
    assert.ok(row.size >= 30 * 1024 * 1024);
    const raw = await fetch(`${sut.url}/v1/quarantine/${row.id}/raw`, { headers: { authorization: `Bearer ${sut.env.DESKMAIL_API_TOKEN}` } });
    assert.equal(raw.headers.get('content-type'), 'message/rfc822');
    assert.equal((await raw.arrayBuffer()).byteLength, row.size, 'the raw mail is kept whole');
  });

  it('quarantines pathological mail as "too complex" in bounded time, and takes 70 attachments in its stride', async () => {
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'complex' });
    const nested = `<html><body>${'<div>'.repeat(20_000)}deep${'</div>'.repeat(20_000)}</body></html>`;
    const pathological = mail({ from: `Deep <${unique('deep')}@example.org>`, subject: 'Deeply nested', body: nested, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    const parts = Array.from({ length: 70 }, (_, i) =>
      [`--many`, `Content-Type: application/octet-stream; name="file-${i}.bin"`, `Content-Disposition: attachment; filename="file-${i}.bin"`, 'Content-Transfer-Encoding: base64', '', Buffer.alloc(2048, i).toString('base64'), ''].join('\r\n'),
    );
    const many = mail({
      from: `Many <${unique('many')}@example.org>`,
      subject: 'Seventy attachments',
      headers: { 'Content-Type': 'multipart/mixed; boundary="many"', 'Content-Transfer-Encoding': '7bit' },
      body: ['--many', 'Content-Type: text/plain; charset=utf-8', '', 'Seventy files.', ...parts, '--many--'].join('\r\n'),
    });
    const [deepUid, manyUid] = await deliverAll(mailbox, [pathological, many]);
    const started = Date.now();
    await fetchNow(sut.api, mailbox);
    assert.ok(Date.now() - started < 20_000, 'the mailbox is not stalled');
    const ledger = await ledgerByUid(sut.api, mailbox);
    assert.equal(ledger.get(deepUid).outcome, 'quarantined');
    const [row] = await quarantineOf(sut.api, mailbox);
    assert.equal(row.reason, 'too complex');
    assert.match(row.detail, /nests elements more than 500 levels deep/);
    const request = await requestDetail(sut.api, ledger.get(manyUid).request);
    assert.equal(request.messages[0].attachments.length, 70);
  });
});
