// The rules of mail into requests, through the REAL fetch path (Dovecot → fetch → pipeline):
// de-duplication (twice in a folder, after a UIDVALIDITY reset, two service instances at
// once), request creation switched off, the loop breaker, and the sample-mail dry run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/core/database/database';
import { MAIL_INTAKE, type MailIntake } from '../../src/incoming/mail-intake.port';
import { Mailbox } from '../../src/mailboxes/mailbox.entity';
import { deliver, listMessages, resetUidValidity } from '../support/dovecot';
import { createDatabase, dropDatabase } from '../support/postgres';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { openSpoolFiles } from '../support/spool';
import { deliverAll, fetchNow, helpdeskMailbox, ledgerByUid, mail, messageIdOf, quarantineOf, requestDetail, sql, unique } from './requests.helpers';

describe('the rules of mail into requests', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService();
  });
  after(async () => sut?.close());

  it('stores one message when the same mail is in the folder twice, and none again after a UIDVALIDITY reset', async () => {
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'dedup' });
    const same = mail({ from: `Twice <${unique('twice')}@example.org>`, subject: 'Sent twice' });
    const noId = mail({ from: `NoId <${unique('noid')}@example.org>`, subject: 'No Message-ID, twice', messageId: null });
    await deliverAll(mailbox, [same, same, noId, noId]);
    const first = await fetchNow(sut.api, mailbox);
    assert.deepEqual([first.fetched, first.created, first.skipped], [4, 2, 2]);
    const outcomes = [...(await ledgerByUid(sut.api, mailbox)).values()].map((e) => e.outcome).sort();
    assert.deepEqual(outcomes, ['duplicate', 'duplicate', 'request', 'request']);

    await resetUidValidity(mailbox.user, 'INBOX');
    const again = await fetchNow(sut.api, mailbox);
    assert.equal(again.created, 0);
    assert.equal(again.skipped, again.fetched, 'every re-read mail is a duplicate');
    const requests = await sut.api.get(`/v1/requests?mailbox=${mailbox.id}`);
    assert.equal(requests.body.total, 2);
  });

  it('appends a reply fetched in the same run (the same batch) as the mail it answers', async () => {
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'same-batch' });
    const from = `Quick <${unique('quick')}@example.org>`;
    const question = mail({ from, subject: 'Printer broken' });
    const followUp = mail({ from, subject: 'Re: Printer broken', headers: { 'In-Reply-To': `<${messageIdOf(question)}>` } });
    await deliverAll(mailbox, [question, followUp]);
    const summary = await fetchNow(sut.api, mailbox);
    assert.deepEqual([summary.fetched, summary.created, summary.appended], [2, 1, 1]);
    const listed = await sut.api.get(`/v1/requests?mailbox=${mailbox.id}`);
    assert.equal(listed.body.total, 1);
    const messages = (await requestDetail(sut.api, listed.body.requests[0].id)).messages.filter((m: any) => m.direction === 'in').map((m: any) => m.messageId);
    assert.deepEqual(messages, [messageIdOf(question), messageIdOf(followUp)]);
  });

  it('quarantines a mail that cannot be stored as "storage failed", stores the rest of its chunk, and counts each once', async () => {
    const counter = async (line: string): Promise<number> => {
      const text = String((await sut.api.get('/metrics')).body);
      const found = text.split('\n').find((l) => l.startsWith(line + ' '));
      return found ? Number(found.slice(line.length + 1)) : 0;
    };
    const createdBefore = await counter('deskmail_requests_created_total');
    const failedBefore = await counter('deskmail_mail_quarantined_total{reason="storage failed"}');
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'storage-failed' });
    const from = () => `Batch <${unique('store')}@example.org>`;
    // A database constraint the one mail from the mailbox's own address breaks as it goes to quarantine, after the
    // batch wrote (and would have counted) the others: the batch rolls back, the chunk is stored again mail by mail.
    const databaseUrl = sut.env.DATABASE_URL!;
    await sql(databaseUrl, `ALTER TABLE quarantined_mail ADD CONSTRAINT test_unstorable CHECK (reason <> 'own address')`);
    let summary;
    try {
      await deliverAll(mailbox, [mail({ from: from(), subject: 'First' }), mail({ from: from(), subject: 'Second' }), mail({ from: mailbox.user, subject: 'From ourselves' }), mail({ from: from(), subject: 'Third' })]);
      summary = await fetchNow(sut.api, mailbox);
    } finally {
      await sql(databaseUrl, 'ALTER TABLE quarantined_mail DROP CONSTRAINT test_unstorable');
    }
    assert.deepEqual([summary.fetched, summary.created, summary.quarantined], [4, 3, 1]);
    const kept = await quarantineOf(sut.api, mailbox);
    assert.equal(kept.length, 1);
    assert.equal(kept[0].reason, 'storage failed');
    assert.match(kept[0].detail, /could not be stored: .*test_unstorable/);
    assert.equal(await counter('deskmail_requests_created_total'), createdBefore + 3, 'the rolled-back batch counted nothing');
    assert.equal(await counter('deskmail_mail_quarantined_total{reason="storage failed"}'), failedBefore + 1);
  });

  it('keeps new threads in quarantine when request creation is disabled, and still appends replies', async () => {
    const open = await helpdeskMailbox(sut.api, { prefix: 'creation-on' });
    const requester = `${unique('dora')}@example.org`;
    const first = mail({ from: `Dora <${requester}>`, subject: 'Existing request' });
    await deliver(open.user, first);
    await fetchNow(sut.api, open);
    const existing = (await sut.api.get(`/v1/requests?mailbox=${open.id}`)).body.requests[0];

    const closed = await helpdeskMailbox(sut.api, { prefix: 'creation-off', incoming: { createRequests: false } });
    const fresh = mail({ from: `Dora <${requester}>`, subject: 'A brand new question', body: 'Can you help?' });
    const reply = mail({ from: `Dora <${requester}>`, subject: `Re: [##${existing.number}##] Existing request`, body: 'More details.' });
    const [freshUid, replyUid] = await deliverAll(closed, [fresh, reply]);
    const summary = await fetchNow(sut.api, closed);
    assert.deepEqual([summary.created, summary.appended, summary.quarantined], [0, 1, 1]);
    const ledger = await ledgerByUid(sut.api, closed);
    assert.equal(ledger.get(freshUid).outcome, 'quarantined');
    assert.equal(ledger.get(replyUid).request, existing.id);
    const [row] = await quarantineOf(sut.api, closed);
    assert.equal(row.reason, 'not turned into a request');
    assert.match(row.detail, /new request creation by email is disabled/);
    assert.equal(row.subject, 'A brand new question');
    assert.equal(row.from, `Dora <${requester}>`);
  });

  it('breaks a mail loop: more than loopLimit.count mails of one requester and subject go to quarantine as "loop"', async () => {
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'loop', incoming: { loopLimit: { count: 3, minutes: 60 } } });
    const robot = `${unique('robot')}@example.org`;
    const subjects = ['Your ticket', 'Re: Your ticket', 'RE: RE: Your ticket', 'AW: Your ticket', 'Re: [##99999##] Your ticket'];
    const uids = await deliverAll(mailbox, subjects.map((subject) => mail({ from: `Robot <${robot}>`, subject })));
    const other = mail({ from: `Robot <${robot}>`, subject: 'A different matter' });
    const [otherUid] = await deliverAll(mailbox, [other]);
    const summary = await fetchNow(sut.api, mailbox);
    assert.equal(summary.quarantined, 2);
    const ledger = await ledgerByUid(sut.api, mailbox);
    assert.deepEqual(uids.map((uid) => ledger.get(uid).outcome), ['request', 'request', 'request', 'quarantined', 'quarantined']);
    assert.equal(ledger.get(otherUid).outcome, 'request', 'another subject of the same requester is not a loop');
    const rows = await quarantineOf(sut.api, mailbox);
    assert.deepEqual(rows.map((r) => r.reason), ['loop', 'loop']);
    assert.match(rows[0].detail, new RegExp(`mails from ${robot.replace('.', '\\.')} with the subject "your ticket" within 60 minutes; this mailbox accepts at most 3`));
    const logs = await sut.api.get(`/v1/mailboxes/${mailbox.id}/logs`);
    assert.ok(logs.body.entries.some((e: any) => e.event === 'loop' && e.level === 'warn' && e.message.includes(robot)));
    const metrics = await sut.api.get('/metrics');
    assert.match(metrics.body, /deskmail_mail_loops_blocked_total [2-9]/);
    assert.match(metrics.body, /deskmail_mail_quarantined_total\{reason="loop"\} [2-9]/);
  });

  it('answers "Fetch a sample mail" with what the pipeline would do, without doing it', async () => {
    const mailbox = await helpdeskMailbox(sut.api, { prefix: 'sample' });
    const requester = `${unique('erin')}@example.org`;
    const question = mail({ from: `=?UTF-8?Q?Erin_M=C3=BCller?= <${requester}>`, subject: 'Sample question', body: 'Where is my order?' });
    await deliver(mailbox.user, question);
    const before = await listMessages(mailbox.user);
    const sample = await sut.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
    assert.equal(sample.status, 200, JSON.stringify(sample.body));
    // The message as the pipeline read it: decoded names, Message-ID as the rest of the API gives it.
    const { message } = sample.body;
    assert.deepEqual(
      [message.subject, message.from, message.to, message.messageId, message.text, message.size],
      ['Sample question', `Erin Müller <${requester}>`, 'support@helpdesk.example.com', messageIdOf(question), 'Where is my order?', question.length],
    );
    const { decision } = sample.body;
    assert.equal(decision.outcome, 'new request');
    assert.equal(decision.request, null);
    assert.equal(decision.rule, 'new-thread');
    assert.equal(decision.autoReply, false);
    assert.deepEqual(decision.requester, { name: 'Erin Müller', email: requester });
    assert.equal(decision.acknowledge, true);
    assert.equal(typeof decision.reason, 'string');
    assert.deepEqual(await listMessages(mailbox.user), before, 'nothing changed on the server');
    assert.equal((await sut.api.get(`/v1/requests?mailbox=${mailbox.id}`)).body.total, 0, 'no request');
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailbox.id}/ledger`)).body.total, 0, 'no ledger row');

    // Once fetched, the same sample says it would change nothing; a reply would be appended.
    await fetchNow(sut.api, mailbox);
    const request = (await sut.api.get(`/v1/requests?mailbox=${mailbox.id}`)).body.requests[0];
    const again = await sut.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
    assert.deepEqual([again.body.decision.outcome, again.body.decision.rule, again.body.decision.request], ['ignored', 'duplicate', request.number]);

    const replyBox = await helpdeskMailbox(sut.api, { prefix: 'sample-reply' });
    await deliver(replyBox.user, mail({ from: `Vacation <${unique('away')}@example.org>`, subject: `Auto: [##${request.number}##] Sample question`, headers: { 'Auto-Submitted': 'auto-replied' } }));
    const reply = await sut.api.post(`/v1/mailboxes/${replyBox.id}/sample-mail`);
    const verdict = reply.body.decision;
    assert.deepEqual([verdict.outcome, verdict.request, verdict.rule, verdict.autoReply, verdict.acknowledge], ['append', request.number, 'subject-token', true, false]);
    assert.match(verdict.reason, /Auto-Submitted: auto-replied/);
    assert.equal((await requestDetail(sut.api, request.id)).messages.filter((m: any) => m.direction === 'in').length, 1, 'nothing appended');
  });

  it('shows the headers of a sample too large to import, and says it would be quarantined', async () => {
    const small = await startTestService({ env: { DESKMAIL_MAX_MAIL_MB: '1' } });
    try {
      const mailbox = await helpdeskMailbox(small.api, { prefix: 'sample-large' });
      const sender = `${unique('big')}@example.org`;
      const big = mail({ from: `Big <${sender}>`, subject: 'A scan of everything', body: 'x'.repeat(76).concat('\n').repeat(20_000) });
      assert.ok(big.length > 1024 * 1024);
      await deliver(mailbox.user, big);
      const sample = await small.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
      assert.equal(sample.status, 200, JSON.stringify(sample.body).slice(0, 500));
      const { message, decision } = sample.body;
      assert.deepEqual([message.subject, message.messageId, message.size, message.text, message.attachments], ['A scan of everything', messageIdOf(big), big.length, '', []]);
      assert.equal(message.from, `Big <${sender}>`, 'written like a preview the pipeline could read');
      assert.equal(decision.outcome, 'quarantine');
      assert.match(decision.reason, /too large|at most 1 MB/i);
    } finally {
      await small.close();
    }
  });

  it('takes mail and attachments above the spool limit through spool files: byte for byte, none left open', async () => {
    const spooling = await startTestService({ env: { DESKMAIL_SPOOL_ABOVE_KB: '256', DESKMAIL_MAX_MAIL_MB: '2' } });
    try {
      const mailbox = await helpdeskMailbox(spooling.api, { prefix: 'spool' });
      const content = randomBytes(1_200_000);
      const withScan = mail({
        from: `Scanner <${unique('scanner')}@example.org>`,
        subject: 'The scan',
        headers: { 'Content-Type': 'multipart/mixed; boundary="b"', 'Content-Transfer-Encoding': '7bit' },
        body: ['--b', 'Content-Type: text/plain', '', 'Attached.', '--b', 'Content-Type: image/tiff; name="scan.tif"', 'Content-Transfer-Encoding: base64', '', content.toString('base64').replace(/.{76}/g, '$&\n'), '--b--', ''].join('\n'),
      });
      const tooLarge = mail({ from: `Big <${unique('big')}@example.org>`, subject: 'Everything', body: 'y'.repeat(76).concat('\n').repeat(30_000) });
      assert.ok(withScan.length > 256 * 1024 && tooLarge.length > 2 * 1024 * 1024);
      await deliverAll(mailbox, [withScan, tooLarge]);
      const openBefore = openSpoolFiles();

      const sample = await spooling.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
      assert.equal(sample.status, 200, JSON.stringify(sample.body).slice(0, 300));
      assert.deepEqual(sample.body.message.attachments.map((a: any) => [a.filename, a.size]), [['scan.tif', content.length]]);

      const summary = await fetchNow(spooling.api, mailbox);
      assert.deepEqual([summary.created, summary.quarantined], [1, 1]);
      const [request] = (await spooling.api.get(`/v1/requests?mailbox=${mailbox.id}`)).body.requests;
      const [scan] = (await requestDetail(spooling.api, request.id)).messages[0].attachments;
      const download = await fetch(`${spooling.url}/v1/requests/${request.id}/attachments/${scan.id}`, { headers: { authorization: `Bearer ${spooling.env.DESKMAIL_API_TOKEN}` } });
      assert.ok(Buffer.from(await download.arrayBuffer()).equals(content), 'the attachment, byte for byte');

      const [held] = await quarantineOf(spooling.api, mailbox);
      assert.equal(held.reason, 'too large');
      const raw = await fetch(`${spooling.url}/v1/quarantine/${held.id}/raw`, { headers: { authorization: `Bearer ${spooling.env.DESKMAIL_API_TOKEN}` } });
      assert.ok(Buffer.from(await raw.arrayBuffer()).equals(tooLarge), 'the quarantined mail, byte for byte');
      assert.equal(openSpoolFiles(), openBefore, 'every spool file closed');
    } finally {
      await spooling.close();
    }
  });

  it('stores one message when two service instances on one PostgreSQL database store the same mails at once', async () => {
    const databaseUrl = await createDatabase();
    const first = await startTestService({ databaseUrl, keep: true });
    const second = await startTestService({ databaseUrl, keep: true });
    try {
      const mailbox = await helpdeskMailbox(first.api, { prefix: 'two-instances' });
      const instances = [first, second].map((instance) => ({
        intake: instance.service.app.get<MailIntake>(MAIL_INTAKE, { strict: false }),
        db: instance.service.app.get(Database, { strict: false }),
      }));
      const box = await instances[0].db.run((em) => em.findOneByOrFail(Mailbox, { id: mailbox.id }));
      const mails = Array.from({ length: 20 }, (_, i) => mail({ from: `Racer <${unique('racer')}@example.org>`, subject: `Race ${i}` }));
      const outcomes: string[][] = [];
      for (const raw of mails) {
        const context = { mailbox: box, firstImport: false, receivedAt: new Date() };
        const results = await Promise.all(
          instances.map(async ({ intake, db }) => {
            const prepared = await intake.prepare(raw, context);
            return (await db.transaction((em) => intake.store(em, [{ mail: prepared, context }])))[0];
          }),
        );
        outcomes.push(results.map((r) => r.outcome).sort());
      }
      assert.ok(outcomes.every((pair) => pair[0] === 'duplicate' && pair[1] === 'request'), JSON.stringify(outcomes));
      const listed = await second.api.get(`/v1/requests?mailbox=${mailbox.id}&pageSize=100`);
      assert.equal(listed.body.total, 20);
      for (const raw of mails.slice(0, 3)) {
        const requester = /^From: Racer <([^>]+)>/m.exec(raw.toString())![1];
        const found = await second.api.get(`/v1/requests?mailbox=${mailbox.id}&q=${encodeURIComponent(requester)}`);
        assert.equal(found.body.total, 1);
        assert.equal((await requestDetail(second.api, found.body.requests[0].id)).messages.filter((m: any) => m.messageId === messageIdOf(raw)).length, 1);
      }

      // The same race with whole batches (a fetch chunk each): every mail one request, whichever instance wins it.
      const batch = Array.from({ length: 30 }, (_, i) => mail({ from: `Batch <${unique('batch')}@example.org>`, subject: `Batch race ${i}` }));
      const context = { mailbox: box, firstImport: false, receivedAt: new Date() };
      const batchResults = await Promise.all(
        instances.map(async ({ intake, db }) => {
          const items = await Promise.all(batch.map(async (raw) => ({ mail: await intake.prepare(raw, context), context })));
          return db.transaction((em) => intake.store(em, items));
        }),
      );
      const perMail = batch.map((_, i) => batchResults.map((results) => results[i].outcome).sort().join('+'));
      assert.ok(perMail.every((pair) => pair === 'duplicate+request'), JSON.stringify(perMail));
      assert.equal((await second.api.get(`/v1/requests?mailbox=${mailbox.id}&pageSize=100`)).body.total, 50);
    } finally {
      await first.close();
      await second.close();
      await dropDatabase(databaseUrl);
    }
  });
});
