import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSpooled, readSpooled, releaseBytes, wholeBytes } from '../../../core/spool/spooled-bytes';
import { MimeContentSink } from './mime-content-sink';

const mailA = Buffer.from('From: a@example.test\r\nSubject: first\r\n\r\nhello – ünïcode\r\n');
const mailB = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));

/** A GetItem answer as Exchange writes it: base64 broken into lines, the `t:` prefix, other items around. */
function answer(...mails: Buffer[]): string {
  const items = mails
    .map((mail, i) => {
      const base64 = mail.toString('base64').replace(/.{76}/g, '$&\r\n');
      return `<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message><t:MimeContent CharacterSet="UTF-8">${base64}</t:MimeContent><t:ItemId Id="id-${i}" ChangeKey="ck"/><t:Size>${mail.length}</t:Size></t:Message></m:Items></m:GetItemResponseMessage>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetItemResponse><m:ResponseMessages>${items}</m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>`;
}

function feed(sink: MimeContentSink, text: string, pieceBytes: number): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; at += pieceBytes) sink.append(bytes.subarray(at, at + pieceBytes));
}

describe('MimeContentSink', () => {
  it('decodes every MimeContent into a mail of its own and leaves a token in the SOAP, wherever the pieces break', () => {
    const soap = answer(mailA, mailB);
    let n = 0;
    const expected = soap.replace(/(<t:MimeContent[^>]*>)[^<]*/g, (_match, tag: string) => `${tag}tok#${n++}`);
    for (const pieceBytes of [1, 3, 7, 64, 1000, soap.length]) {
      const sink = new MimeContentSink('tok#', Number.POSITIVE_INFINITY);
      feed(sink, soap, pieceBytes);
      const xml = sink.toBytes().toString('utf8');
      const mails = sink.decodedMails();
      assert.deepEqual([...mails.keys()], ['tok#0', 'tok#1'], `pieces of ${pieceBytes}`);
      assert.ok(wholeBytes(mails.get('tok#0')!).equals(mailA), `pieces of ${pieceBytes}`);
      assert.ok(wholeBytes(mails.get('tok#1')!).equals(mailB), `pieces of ${pieceBytes}`);
      assert.equal(xml, expected, 'the SOAP around the mails is unchanged');
    }
  });

  it('keeps an empty or self-closing MimeContent, and any other prefix, as the library expects', () => {
    const sink = new MimeContentSink('tok#', Number.POSITIVE_INFINITY);
    feed(sink, '<a><MimeContent/><x:MimeContent CharacterSet="UTF-8"></x:MimeContent><MimeContentType>text</MimeContentType></a>', 5);
    assert.equal(sink.toBytes().toString(), '<a><MimeContent/><x:MimeContent CharacterSet="UTF-8">tok#0</x:MimeContent><MimeContentType>text</MimeContentType></a>');
    assert.equal(wholeBytes(sink.decodedMails().get('tok#0')!).length, 0);
  });

  it('writes a mail larger than spoolAboveBytes to a spool file from its first byte when its size was announced', () => {
    const sink = new MimeContentSink('tok#', 1024, [mailA.length, mailB.length]);
    feed(sink, answer(mailA, mailB), 500);
    sink.toBytes();
    const [small, big] = [...sink.decodedMails().values()];
    assert.ok(Buffer.isBuffer(small));
    assert.ok(isSpooled(big));
    assert.ok(readSpooled(big).equals(mailB));
    releaseBytes(big);
  });

  it('refuses an answer cut off inside a MimeContent, and gives back what it had', () => {
    const sink = new MimeContentSink('tok#', 1024);
    const soap = answer(mailA, mailB);
    feed(sink, soap.slice(0, soap.lastIndexOf('</t:MimeContent>') - 100), 512);
    assert.throws(() => sink.toBytes(), /ended inside a MimeContent/);
    sink.discard();
    assert.equal(sink.decodedMails().size, 0);
  });
});
