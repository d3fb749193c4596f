// The Requests and Quarantine API on mail fetched through the real fetch path: threading
// (In-Reply-To, References, the token, another mailbox's token, our own outgoing mail),
// replies through the outbox, attachment downloads, quarantine raw and retry.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { readMailFixture } from '../fixtures/mail/mail-fixtures';
import { deliver } from '../support/dovecot';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { deliverAll, fetchNow, helpdeskMailbox, ledgerByUid, mail, messageIdOf, quarantineOf, requestDetail, sql, unique } from './requests.helpers';

describe('the Requests and Quarantine API', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService();
  });
  after(async () => sut?.close());

  async function rawOf(path: string): Promise<Response> {
    return fetch(`${sut.url}${path}`, { headers: { authorization: `Bearer ${sut.env.DESKMAIL_API_TOKEN}` } });
  }

  it('threads replies by In-Reply-To, by References, by the token alone, and by the token of another mailbox’s request', async () => {
    const desk = await helpdeskMailbox(sut.api, { prefix: 'thread' });
    const otherDesk = await helpdeskMailbox(sut.api, { prefix: 'thread-other' });
    const alice = `${unique('alice')}@example.org`;
    const question = mail({ from: `Alice <${alice}>`, subject: 'Question about my order', body: 'Where is my order?' });
    await deliver(desk.user, question);
    await fetchNow(sut.api, desk);
    const [entry] = (await ledgerByUid(sut.api, desk)).values();
    const request = await requestDetail(sut.api, entry.request);
    const acknowledgement = request.messages.find((m: any) => m.kind === 'acknowledgement');
    assert.ok(acknowledgement, 'acknowledged');

    const byInReplyTo = mail({ from: `Alice <${alice}>`, subject: 'Re: Question about my order', body: 'by in-reply-to', headers: { 'In-Reply-To': `<${messageIdOf(question)}>` } });
    const byReferences = mail({ from: `Alice <${alice}>`, subject: 'Re: Question about my order', body: 'by references', headers: { References: `<unknown@elsewhere> <${messageIdOf(question)}>` } });
    const byToken = mail({ from: `Alice <${alice}>`, subject: `Re: [##${request.number}##] Question about my order`, body: 'by token only' });
    const toOurAcknowledgement = mail({ from: `Alice <${alice}>`, subject: 'Re: thanks', body: 'answering the acknowledgement', headers: { 'In-Reply-To': `<${acknowledgement.messageId}>` } });
    const [inReplyToUid, referencesUid, tokenUid, ackUid] = await deliverAll(desk, [byInReplyTo, byReferences, byToken, toOurAcknowledgement]);
    const forwarded = mail({ from: `Bob <${unique('bob')}@example.org>`, subject: `Fwd: [##${request.number}##] Question about my order`, body: 'forwarded to the other desk' });
    await deliver(otherDesk.user, forwarded);

    const summary = await fetchNow(sut.api, desk);
    assert.deepEqual([summary.created, summary.appended], [0, 4]);
    const other = await fetchNow(sut.api, otherDesk);
    assert.deepEqual([other.created, other.appended], [0, 1], 'the token of another mailbox’s request appends, not duplicates');
    const ledger = await ledgerByUid(sut.api, desk);
    for (const uid of [inReplyToUid, referencesUid, tokenUid, ackUid]) assert.equal(ledger.get(uid).request, request.id);

    const thread = await requestDetail(sut.api, request.id);
    assert.deepEqual(
      thread.messages.map((m: any) => [m.direction, m.kind, m.text.trim()]),
      [
        ['in', 'mail', 'Where is my order?'],
        ['out', 'acknowledgement', acknowledgement.text.trim()],
        ['in', 'mail', 'by in-reply-to'],
        ['in', 'mail', 'by references'],
        ['in', 'mail', 'by token only'],
        ['in', 'mail', 'answering the acknowledgement'],
        ['in', 'mail', 'forwarded to the other desk'],
      ],
    );
    assert.equal((await sut.api.get(`/v1/requests?mailbox=${otherDesk.id}`)).body.total, 0);
  });

  it('queues a reply through the outbox with the thread headers, and a reply to it threads back', async () => {
    const desk = await helpdeskMailbox(sut.api, { prefix: 'reply' });
    const carol = `${unique('carol')}@example.org`;
    const question = mail({ from: `Carol <${carol}>`, subject: 'Printer jam', body: 'It jams.' });
    await deliver(desk.user, question);
    await fetchNow(sut.api, desk);
    const [entry] = (await ledgerByUid(sut.api, desk)).values();

    const replied = await sut.api.post(`/v1/requests/${entry.request}/reply`, { text: 'Open the tray and pull gently.', html: '<p>Open the tray <b>and</b> pull gently.</p><script>steal()</script>' });
    assert.equal(replied.status, 202, JSON.stringify(replied.body));
    assert.equal(replied.body.status, 'queued');
    assert.match(replied.body.messageId, /@/);

    const request = await requestDetail(sut.api, entry.request);
    const out = request.messages.find((m: any) => m.kind === 'reply');
    assert.equal(out.messageId, replied.body.messageId);
    assert.equal(out.subject, `[##${request.number}##] Re: Printer jam`);
    assert.deepEqual(out.to, [{ name: 'Carol', email: carol }]);
    assert.doesNotMatch(out.html, /script/);

    const outbox = await sut.api.get(`/v1/outbox?status=queued&pageSize=200`);
    const queued = outbox.body.messages.find((m: any) => m.messageId === replied.body.messageId);
    assert.ok(queued, 'in the outbox');
    assert.deepEqual([queued.kind, queued.request, queued.to], ['reply', request.id, [carol]]);
    const raw = await (await rawOf(`/v1/outbox/${queued.id}/raw`)).text();
    assert.match(raw, new RegExp(`^In-Reply-To: <${messageIdOf(question).replace(/\./g, '\\.')}>`, 'm'));
    assert.match(raw, new RegExp(`^References: .*<${messageIdOf(question).replace(/\./g, '\\.')}>`, 'm'));
    assert.doesNotMatch(raw, /^Auto-Submitted:/m, 'a person’s reply is not an auto-reply');
    const acknowledgement = outbox.body.messages.find((m: any) => m.request === request.id && m.kind === 'acknowledgement');
    assert.match(await (await rawOf(`/v1/outbox/${acknowledgement.id}/raw`)).text(), /^Auto-Submitted: auto-replied/m);

    // Closed, then the requester answers our reply (no token): back in the request, reopened.
    assert.equal((await sut.api.patch(`/v1/requests/${request.id}`, { status: 'closed' })).body.status, 'closed');
    const answer = mail({ from: `Carol <${carol}>`, subject: 'Re: Printer jam', body: 'That worked, thanks!', headers: { 'In-Reply-To': `<${replied.body.messageId}>` } });
    await deliver(desk.user, answer);
    assert.equal((await fetchNow(sut.api, desk)).appended, 1);
    const after = await requestDetail(sut.api, request.id);
    assert.equal(after.status, 'open', 'a person writing again reopens the request');
    assert.equal(after.messages.at(-1).text.trim(), 'That worked, thanks!');
  });

  it('serves attachments with their content type and an RFC 6266 filename, and stores identical ones once', async () => {
    const desk = await helpdeskMailbox(sut.api, { prefix: 'attachments' });
    const fixture = readMailFixture('rfc2231-filenames.eml').toString('latin1');
    const copies = [1, 2].map((n) => Buffer.from(fixture.replace(/^Message-ID: <[^>]+>/m, `Message-ID: <files-${n}-${unique('a')}@example.org>`), 'latin1'));
    const inline = readMailFixture('cid-inline-image.eml');
    await deliverAll(desk, [...copies, inline]);
    await fetchNow(sut.api, desk);
    const requests = (await sut.api.get(`/v1/requests?mailbox=${desk.id}`)).body.requests;
    const files = await requestDetail(sut.api, requests.find((r: any) => r.subject === 'Files').id);
    const report = files.messages[0].attachments.find((a: any) => a.filename === 'Отчёт за март 2025.pdf');
    assert.ok(report, JSON.stringify(files.messages[0].attachments));

    const download = await rawOf(`/v1/requests/${files.id}/attachments/${report.id}`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), report.contentType);
    assert.equal(download.headers.get('content-disposition'), `attachment; filename="_____ __ ____ 2025.pdf"; filename*=UTF-8''${encodeURIComponent('Отчёт за март 2025.pdf')}`);
    assert.equal(download.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await download.arrayBuffer()).byteLength, report.size);
    assert.equal((await rawOf(`/v1/requests/${files.id}/attachments/00000000-0000-0000-0000-000000000000`)).status, 404);

    const [{ shared }] = await sql(sut.env.DATABASE_URL!, `SELECT count(*)::int AS shared FROM attachment_blob WHERE sha256 IN (SELECT sha256 FROM attachment WHERE request_id = ANY($1::uuid[]))`, [
      requests.filter((r: any) => r.subject === 'Files').map((r: any) => r.id),
    ]);
    assert.equal(shared, files.messages[0].attachments.length, 'two mails with the same files, each file stored once');

    const logo = await requestDetail(sut.api, requests.find((r: any) => r.subject === 'Logo').id);
    const image = logo.messages[0].attachments[0];
    assert.deepEqual([image.filename, image.inline, image.contentId], ['logo.gif', true, 'logo@helpdesk']);
    assert.match(logo.messages[0].html, /src="cid:logo@helpdesk"/, 'the cid: image stays resolvable through the attachment list');
    assert.doesNotMatch(logo.messages[0].html, /<script/);
  });

  it('stores a large attachment in 1 MiB parts, once for two mails, and serves it back byte for byte', async () => {
    const desk = await helpdeskMailbox(sut.api, { prefix: 'large-attachment' });
    const content = randomBytes(2.5 * 1024 * 1024);
    const withFile = (n: number) =>
      mail({
        from: `Erin <${unique('erin')}@example.org>`,
        subject: `Scan ${n}`,
        headers: { 'Content-Type': 'multipart/mixed; boundary="b"', 'Content-Transfer-Encoding': '7bit' },
        body: ['--b', 'Content-Type: text/plain', '', 'The scan.', '--b', 'Content-Type: application/pdf; name="scan.pdf"', 'Content-Transfer-Encoding: base64', '', content.toString('base64').replace(/.{76}/g, '$&\n'), '--b--', ''].join('\n'),
      });
    await deliverAll(desk, [withFile(1), withFile(2)]);
    assert.equal((await fetchNow(sut.api, desk)).created, 2);
    const requests = (await sut.api.get(`/v1/requests?mailbox=${desk.id}`)).body.requests;
    const sha256 = createHash('sha256').update(content).digest('hex');
    for (const { id } of requests) {
      const [file] = (await requestDetail(sut.api, id)).messages[0].attachments;
      assert.deepEqual([file.filename, file.size], ['scan.pdf', content.length]);
      const download = await rawOf(`/v1/requests/${id}/attachments/${file.id}`);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-length'), String(content.length));
      assert.equal(createHash('sha256').update(Buffer.from(await download.arrayBuffer())).digest('hex'), sha256, 'the same bytes come back');
    }
    const parts = await sql(sut.env.DATABASE_URL!, 'SELECT part, octet_length(content)::int AS bytes FROM attachment_blob_part WHERE sha256 = $1 ORDER BY part', [sha256]);
    assert.deepEqual(parts, [{ part: 0, bytes: 1048576 }, { part: 1, bytes: 1048576 }, { part: 2, bytes: 524288 }], 'three parts, stored once for both mails');
  });

  it('keeps quarantined mail raw, retries it once the cause is fixed, and then it is a request', async () => {
    const desk = await helpdeskMailbox(sut.api, { prefix: 'retry', incoming: { createRequests: false } });
    const dan = `${unique('dan')}@example.org`;
    const held = mail({ from: `Dan <${dan}>`, subject: 'Held back', body: 'Please answer me.' });
    const nobody = readMailFixture('malformed-from-no-address.eml');
    await deliverAll(desk, [held, nobody]);
    await fetchNow(sut.api, desk);
    const rows = await quarantineOf(sut.api, desk);
    // Creation is off: both are "not turned into a request", whatever else is wrong with them.
    assert.deepEqual(rows.map((r) => r.reason), ['not turned into a request', 'not turned into a request']);
    const row = rows.find((r) => r.subject === 'Held back');
    assert.deepEqual([row.mailbox, row.size, row.subject], [desk.id, held.length, 'Held back']);

    const raw = await rawOf(`/v1/quarantine/${row.id}/raw`);
    assert.equal(raw.headers.get('content-type'), 'message/rfc822');
    assert.ok(Buffer.from(await raw.arrayBuffer()).equals(held), 'the raw mail exactly as fetched');

    const stillHeld = await sut.api.post(`/v1/quarantine/${row.id}/retry`);
    assert.equal(stillHeld.status, 200, JSON.stringify(stillHeld.body));
    assert.deepEqual([stillHeld.body.outcome, stillHeld.body.reason, stillHeld.body.quarantine], ['quarantined', 'not turned into a request', row.id]);
    assert.equal((await sut.api.get(`/v1/quarantine/${row.id}`)).body.retries, 1);

    assert.equal((await sut.api.patch(`/v1/mailboxes/${desk.id}`, { incoming: { createRequests: true } })).status, 200);
    const retried = await sut.api.post(`/v1/quarantine/${row.id}/retry`);
    assert.equal(retried.body.outcome, 'request', JSON.stringify(retried.body));
    assert.equal((await sut.api.get(`/v1/quarantine/${row.id}`)).status, 404, 'the row is gone');
    const request = await requestDetail(sut.api, retried.body.request.id);
    assert.deepEqual([request.number, request.subject, request.messages[0].text.trim()], [retried.body.request.number, 'Held back', 'Please answer me.']);
    assert.equal(request.messages.filter((m: any) => m.direction === 'out').length, 0, 'a retried mail is not acknowledged late');

    // The other one has no sender: retried, it stays, with the reason that now applies.
    const noSender = rows.find((r) => r.subject === 'Who am I');
    const again = await sut.api.post(`/v1/quarantine/${noSender.id}/retry`);
    assert.deepEqual([again.body.outcome, again.body.reason], ['quarantined', 'no sender']);
    assert.equal((await sut.api.get(`/v1/quarantine/${noSender.id}`)).body.reason, 'no sender');
    assert.equal((await sut.api.delete(`/v1/quarantine/${noSender.id}`)).status, 204);
    assert.equal((await quarantineOf(sut.api, desk)).length, 0);
    assert.equal((await sut.api.post('/v1/quarantine/not-an-id/retry')).status, 404);
  });

  it('lists requests with filters, text search and paging, finds one by number, and changes its status', async () => {
    const desk = await helpdeskMailbox(sut.api, { prefix: 'list' });
    const word = unique('zebra');
    const erin = `${unique('erin')}@example.org`;
    await deliverAll(desk, [
      mail({ from: `Erin <${erin}>`, subject: `About the ${word}` }),
      mail({ from: `Frank <${unique('frank')}@example.org>`, subject: 'Unrelated' }),
      mail({ from: `Grace <${unique('grace')}@example.org>`, subject: '100% sure_thing' }),
    ]);
    await fetchNow(sut.api, desk);

    const all = await sut.api.get(`/v1/requests?mailbox=${desk.id}&pageSize=2`);
    assert.deepEqual([all.body.total, all.body.requests.length, all.body.page, all.body.pageSize], [3, 2, 1, 2]);
    const bySubject = await sut.api.get(`/v1/requests?q=${word.toUpperCase()}`);
    assert.deepEqual(bySubject.body.requests.map((r: any) => r.requester.email), [erin]);
    assert.equal((await sut.api.get(`/v1/requests?q=${encodeURIComponent(erin)}`)).body.total, 1);
    assert.equal((await sut.api.get(`/v1/requests?mailbox=${desk.id}&q=${encodeURIComponent('100%')}`)).body.total, 1, '% is a character, not a wildcard');

    const request = bySubject.body.requests[0];
    assert.equal((await sut.api.get(`/v1/requests/${request.number}`)).body.id, request.id);
    assert.equal((await sut.api.patch(`/v1/requests/${request.id}`, { status: 'closed' })).body.status, 'closed');
    assert.deepEqual((await sut.api.get(`/v1/requests?mailbox=${desk.id}&status=closed`)).body.requests.map((r: any) => r.id), [request.id]);
    assert.equal((await sut.api.get(`/v1/requests?mailbox=${desk.id}&status=open`)).body.total, 2);

    assert.equal((await sut.api.patch(`/v1/requests/${request.id}`, { status: 'pending' })).status, 400);
    assert.equal((await sut.api.patch(`/v1/requests/${request.id}`, { status: 'open', priority: 1 })).status, 400);
    assert.equal((await sut.api.get('/v1/requests/00000000-0000-0000-0000-000000000000')).status, 404);
    assert.equal((await sut.api.get('/v1/requests?status=pending')).status, 400);
    assert.equal((await sut.api.withToken(null).get('/v1/requests')).status, 401);
  });
});

describe('on the embedded database (PGlite)', () => {
  it('fetches into requests and quarantine, and serves attachment bytes and raw mail unchanged', async () => {
    const sut = await startTestService({ database: 'embedded' });
    try {
      const desk = await helpdeskMailbox(sut.api, { prefix: 'embedded' });
      const files = readMailFixture('raw-utf8-filename.eml');
      const nobody = readMailFixture('malformed-from-no-address.eml');
      await deliverAll(desk, [files, nobody]);
      const summary = await fetchNow(sut.api, desk);
      assert.deepEqual([summary.created, summary.quarantined], [1, 1]);
      const [request] = (await sut.api.get(`/v1/requests?mailbox=${desk.id}`)).body.requests;
      const detail = await requestDetail(sut.api, request.id);
      const [attachment] = detail.messages[0].attachments;
      assert.equal(attachment.filename, 'Übersicht März.pdf');
      const headers = { authorization: `Bearer ${sut.env.DESKMAIL_API_TOKEN}` };
      const download = await fetch(`${sut.url}/v1/requests/${request.id}/attachments/${attachment.id}`, { headers });
      assert.equal((await download.arrayBuffer()).byteLength, attachment.size);
      const [row] = await quarantineOf(sut.api, desk);
      const raw = await fetch(`${sut.url}/v1/quarantine/${row.id}/raw`, { headers });
      assert.equal(Buffer.from(await raw.arrayBuffer()).toString('latin1'), nobody.toString('latin1').replace(/\r?\n/g, '\r\n'));
    } finally {
      await sut.close();
    }
  });
});
