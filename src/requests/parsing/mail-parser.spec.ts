import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mailFixtureNames, readMailFixture } from '../../../test/fixtures/mail/mail-fixtures';
import { parseMail } from './mail-parser';
import type { ParsedMail } from './parsed-mail';

interface Expectation {
  behaviour: string;
  subject: string;
  fromName?: string | null;
  fromEmail?: string | null;
  /** A snippet the decoded text must contain. */
  text: string;
  attachments?: string[];
  /** The mailbox fallback charset to parse with (default windows-1252). */
  fallbackCharset?: string;
  check?: (mail: ParsedMail) => void;
}

/** Every fixture with the human text it must decode to — exact characters, no mojibake. */
const EXPECTED: Record<string, Expectation> = {
  'utf8-8bit.eml': { behaviour: 'reads raw UTF-8 headers (RFC 6532) and an 8-bit UTF-8 body', subject: 'Grüße aus Köln – Bestellung 4711 ✓', fromName: 'Jörg Müller', text: 'die Lieferung ist beschädigt angekommen.\nGrüße, Jörg' },
  'utf8-quoted-printable.eml': { behaviour: 'decodes UTF-8 quoted-printable and Q-encoded words', subject: 'Problème de connexion à l’espace client', fromName: 'Amélie Dupont', text: 'je n’arrive pas à me connecter depuis mercredi.' },
  'utf8-base64.eml': { behaviour: 'decodes UTF-8 base64 with Greek and emoji outside the BMP', subject: 'Ευχαριστώ 🙏 για τη βοήθεια', fromName: 'Νίκος Παπαδόπουλος', text: 'Γεια σας! Το πρόβλημα λύθηκε 😀' },
  'us-ascii-7bit.eml': { behaviour: 'reads a plain 7-bit ASCII mail', subject: 'Password reset does not work', fromName: 'Customer', text: 'the password reset link gives a 404.' },
  'iso-8859-1-quoted-printable.eml': { behaviour: 'decodes ISO-8859-1 quoted-printable', subject: 'Café crème, naïve façade', fromName: 'François Légère', text: 'Où est ma commande? Déjà payé.\nGrüße aus Österreich' },
  'iso-8859-2-8bit.eml': { behaviour: 'decodes 8-bit ISO-8859-2 and words folded across lines', subject: 'Zażółć gęślą jaźń', fromName: 'Łukasz Żółkiewski', text: 'Proszę o pilną odpowiedź.' },
  'windows-1251-base64.eml': { behaviour: 'decodes Windows-1251 base64 Cyrillic', subject: 'Не работает принтер', fromName: 'Иван Петров', text: 'Здравствуйте! Не работает принтер в бухгалтерии.' },
  'windows-1252-quoted-printable.eml': { behaviour: 'decodes Windows-1252 curly quotes, dashes and the euro sign', subject: '“Quoted” subject – 50 €', text: 'He said “it’s fine” – but it costs 50 € … really.' },
  'koi8-r-8bit.eml': { behaviour: 'decodes 8-bit KOI8-R', subject: 'Счёт не оплачен', fromName: 'Ольга Смирнова', text: 'Добрый день! Счёт 15 не оплачен.' },
  'shift_jis-base64.eml': { behaviour: 'decodes Shift_JIS Japanese', subject: '請求書について', fromName: '山田太郎', text: 'お世話になっております。請求書の件でご連絡しました。' },
  'gb2312-base64.eml': { behaviour: 'decodes GB2312 Chinese', subject: '账户无法登录', fromName: '张伟', text: '您好，我的账户无法登录。谢谢！' },
  'gbk-8bit.eml': { behaviour: 'decodes GBK characters that GB2312 lacks', subject: '报告已收到', fromName: '王喆', text: '朱镕基和王喆的报告已收到。' },
  'iso-2022-jp-7bit.eml': { behaviour: 'decodes ISO-2022-JP bodies and split encoded words', subject: '納品書の送付について', fromName: '鈴木花子', text: 'いつもお世話になっております。\n納品書を添付いたします。' },
  'iso-2022-jp-unlabelled.eml': { behaviour: 'recognises ISO-2022-JP in a body that declares no charset', subject: 'パスワード', text: 'こんにちは。パスワードを忘れました。' },
  'charset-lie-windows-1252-as-iso-8859-1.eml': { behaviour: 'reads Windows-1252 bytes labelled ISO-8859-1 as Windows-1252', subject: 'Refund', text: 'We’re “sorry” – refund of 20 € pending…' },
  'no-charset-8bit.eml': { behaviour: 'decodes 8-bit text without a charset with the mailbox fallback (windows-1252)', subject: 'Sonderanfertigung', text: 'Größe 42 – “Sonderanfertigung”, Preis 99 €' },
  'no-charset-8bit-cyrillic.eml': { behaviour: 'decodes 8-bit text without a charset with a windows-1251 mailbox fallback', subject: 'Refund', text: 'Прошу вернуть деньги.', fallbackCharset: 'windows-1251' },
  'utf8-label-wrong.eml': { behaviour: 'falls back when a body labelled UTF-8 is not UTF-8', subject: 'Facture', text: 'Ça coûte 30 € – merci.' },
  'raw-8bit-headers-koi8-r.eml': { behaviour: 'decodes raw 8-bit KOI8-R headers with the body charset', subject: 'Заявка на ремонт', fromName: 'Сергей Иванов', fromEmail: 'sergey@example.ru', text: 'Прошу починить кондиционер.' },
  'rfc2047-split-words.eml': { behaviour: 'joins encoded words split mid-character and mixes charsets in one header', subject: 'Grüße aus Zürich — 東京 and more', fromName: 'Зинаида Кузнецова', text: 'Encoded words everywhere.' },
  'rfc2231-filenames.eml': {
    behaviour: 'decodes RFC 2231 continuations and charsets, RFC 2047 names, and strips directories',
    subject: 'Files',
    text: 'Four files attached.',
    attachments: ['Отчёт за март 2025.pdf', 'Übersicht Künden.xlsx', '契約書.docx', 'very-long-file-name-continued.txt', 'passwd'],
  },
  'raw-utf8-filename.eml': { behaviour: 'reads a raw UTF-8 file name', subject: 'Raw UTF-8 file name', text: 'Attached.', attachments: ['Übersicht März.pdf'] },
  'nested-multipart.eml': {
    behaviour: 'walks nested multiparts: text, HTML with a cid: image, and a PDF',
    subject: 'Chart and invoice',
    text: 'Please see the chart below and the invoice attached.',
    attachments: ['chart.png', 'invoice.pdf'],
    check: (mail) => {
      assert.match(mail.html ?? '', /src="cid:chart@example\.org"/);
      assert.deepEqual(mail.attachments.map((a) => [a.contentId, a.inline]), [['chart@example.org', true], [null, false]]);
    },
  },
  'message-rfc822-attachment.eml': {
    behaviour: 'keeps a forwarded message/rfc822 as an .eml attachment',
    subject: 'Fwd: Broken link',
    text: "Forwarding the customer's original mail.",
    attachments: ['original.eml'],
    check: (mail) => {
      assert.equal(mail.attachments[0].contentType, 'message/rfc822');
      assert.doesNotMatch(mail.text, /pricing page/);
    },
  },
  'calendar-invite.eml': {
    behaviour: 'keeps a text/calendar invitation as an attachment',
    subject: 'Invitation: Quarterly review',
    text: 'You are invited: Quarterly review',
    attachments: ['attachment-1.ics', 'invite.ics'],
    check: (mail) => assert.equal(mail.attachments[0].contentType, 'text/calendar'),
  },
  'tnef-winmail-dat.eml': {
    behaviour: 'keeps winmail.dat (TNEF) as an attachment',
    subject: 'Outlook rich text',
    text: 'See attachment.',
    attachments: ['winmail.dat'],
    check: (mail) => {
      assert.equal(mail.attachments[0].contentType, 'application/ms-tnef');
      assert.deepEqual([...(mail.attachments[0].content as Buffer).subarray(0, 4)], [0x78, 0x9f, 0x3e, 0x22]);
    },
  },
  'cid-inline-image.eml': {
    behaviour: 'keeps cid: image links and gives HTML-only related mail a text',
    subject: 'Logo',
    text: 'Our logo:',
    attachments: ['logo.gif'],
    check: (mail) => {
      assert.match(mail.html ?? '', /cid:logo@helpdesk/);
      assert.equal(mail.attachments[0].inline, true);
      assert.equal(mail.attachments[0].sha256.length, 64);
    },
  },
  'missing-message-id.eml': { behaviour: 'has no Message-ID', subject: 'No Message-ID', text: 'without a Message-ID', check: (mail) => assert.equal(mail.messageId, null) },
  'duplicate-message-id-first.eml': { behaviour: 'reads the first of two mails sharing a Message-ID', subject: 'First mail', text: 'The first mail', check: (mail) => assert.equal(mail.messageId, 'dup-2025-11-03@example.org') },
  'duplicate-message-id-second.eml': { behaviour: 'reads the second of two mails sharing a Message-ID', subject: 'Second mail, same id', text: 'reuses the Message-ID', check: (mail) => assert.equal(mail.messageId, 'dup-2025-11-03@example.org') },
  'missing-date.eml': { behaviour: 'has no date instead of "now" when Date is missing', subject: 'No date', text: 'No Date header.', check: (mail) => assert.equal(mail.date, null) },
  'malformed-date.eml': { behaviour: 'has no date instead of "now" when Date is not a date', subject: 'Bad date', text: 'not a date', check: (mail) => assert.equal(mail.date, null) },
  'missing-from.eml': { behaviour: 'has no From but keeps the envelope sender', subject: 'Disk almost full', fromEmail: null, text: 'Disk /var is 95% full.', check: (mail) => assert.equal(mail.automation.returnPath, 'monitoring@example.net') },
  'malformed-from-salvaged.eml': { behaviour: 'recovers the address from a From with an unbalanced quote', subject: 'Broken From', fromName: null, fromEmail: 'jane.roe@example.org', text: 'broken From header' },
  'malformed-from-no-address.eml': { behaviour: 'has no sender when From holds no address', subject: 'Who am I', fromEmail: null, text: 'no address to answer' },
  'bare-lf-line-endings.eml': { behaviour: 'reads bare LF line ends', subject: 'Unix line endings', text: 'Plain text with bare LF.\nSecond line.', check: (mail) => assert.match(mail.html ?? '', /<p>Plain text with bare LF\.<\/p>/) },
  'nul-bytes.eml': { behaviour: 'drops NUL bytes, which PostgreSQL text refuses', subject: 'Nullbyte subject', text: 'HelloWorld, NUL bytes inside.' },
  'truncated-mime.eml': {
    behaviour: 'reads what arrived of a mail whose MIME never closes, with a warning',
    subject: 'Truncated',
    text: 'The attachment follows.',
    attachments: ['cut.pdf'],
    check: (mail) => assert.match(mail.warnings.join(' '), /truncated/),
  },
  'reply-with-token.eml': {
    behaviour: 'reads In-Reply-To and References of a reply',
    subject: 'AW: [##1042##] We received your request',
    text: 'The printer still does not work.',
    check: (mail) => {
      assert.equal(mail.inReplyTo, 'ack-1042@helpdesk.example.com');
      assert.deepEqual(mail.references, ['printer-1@example.org', 'ack-1042@helpdesk.example.com']);
    },
  },
  'auto-reply-rfc3834.eml': { behaviour: 'reads Auto-Submitted and the null Return-Path', subject: 'Auto: [##1042##] We received your request', text: 'on vacation', check: (mail) => assert.deepEqual([mail.automation.autoSubmitted, mail.automation.returnPath], ['auto-replied', '']) },
  'outlook-out-of-office.eml': {
    behaviour: "reads Exchange's out-of-office markers",
    subject: 'Automatic reply: [##1042##] We received your request',
    fromName: 'Bob Builder',
    text: 'I am out of the office until 10 November',
    check: (mail) => {
      assert.equal(mail.automation.autoResponseSuppress, 'All');
      assert.equal(mail.automation.msExchangeInboxRulesLoop, 'bob@example.net');
      assert.equal(mail.automation.msExchangeGeneratedMessageSource, 'Mailbox Rules Agent');
    },
  },
  'dsn-bounce.eml': {
    behaviour: 'reads the returned message inside a delivery status notification',
    subject: 'Undelivered Mail Returned to Sender',
    fromEmail: 'MAILER-DAEMON@mx.example.net',
    text: '550 5.1.1 User unknown',
    attachments: ['attachment-1.eml'],
    check: (mail) =>
      assert.deepEqual(mail.report, {
        reportType: 'delivery-status',
        original: { messageId: 'ack-1042@helpdesk.example.com', inReplyTo: 'printer-1@example.org', references: ['printer-1@example.org'], subject: '[##1042##] We received your request' },
      }),
  },
  'mailing-list-post.eml': { behaviour: 'reads List-Id and Precedence', subject: '[users] Export to CSV fails', fromName: 'Alice', text: 'Exporting to CSV fails', check: (mail) => assert.deepEqual([mail.automation.listId, mail.automation.precedence], ['Users of Example <users.lists.example.org>', 'list']) },
  'own-address.eml': { behaviour: "reads a mail from the helpdesk's own address", subject: 'Test from the helpdesk', fromEmail: 'SUPPORT@helpdesk.example.com', text: "own address" },
  'html-only-hostile.eml': {
    behaviour: 'converts hostile HTML-only mail to text without its script',
    subject: 'Invoice wrong',
    text: 'Dear support, my invoice is wrong.',
    check: (mail) => {
      assert.match(mail.html ?? '', /<script>/); // raw HTML is kept as sent; the parse step sanitizes
      assert.doesNotMatch(mail.text, /alert\("x"\)/);
    },
  },
};

describe('parseMail on the fixture corpus (test/fixtures/mail)', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    assert.deepEqual(mailFixtureNames(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.behaviour}`, async () => {
      const mail = await parseMail(readMailFixture(name), { fallbackCharset: expected.fallbackCharset ?? 'windows-1252' });
      assert.equal(mail.subject, expected.subject);
      if (expected.fromName !== undefined) assert.equal(mail.from?.name ?? null, expected.fromName);
      if (expected.fromEmail !== undefined) assert.equal(mail.from?.email ?? null, expected.fromEmail);
      assert.ok(mail.text.includes(expected.text), `text ${JSON.stringify(mail.text)} lacks ${JSON.stringify(expected.text)}`);
      assert.deepEqual(mail.attachments.map((attachment) => attachment.filename), expected.attachments ?? []);
      for (const value of [mail.subject, mail.text, mail.from?.name ?? '', ...mail.attachments.map((a) => a.filename)]) {
        assert.doesNotMatch(value, /\uFFFD|\u0000|\x1b/, `mojibake or control characters in ${JSON.stringify(value)}`);
      }
      expected.check?.(mail);
    });
  }
});
