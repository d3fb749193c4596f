/**
 * A deterministic corpus of mixed mails for the benchmarks: mostly small plain and HTML
 * mails, some with attachments, a few large ones (2 KB – 500 KB), several charsets. Same
 * seed, same bytes, so runs compare.
 */
export interface CorpusMail {
  raw: Buffer;
  messageId: string;
}

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS = 'the printer on floor three does not print since monday morning please help invoice order account password reset login error'.split(' ');

function text(random: () => number, bytes: number): string {
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    const word = WORDS[Math.floor(random() * WORDS.length)];
    out.push(word);
    size += word.length + 1;
    if (out.length % 12 === 0) out.push('\r\n');
  }
  return out.join(' ');
}

/** Size in bytes: 80 % 2–20 KB, 15 % 20–100 KB, 5 % 100–500 KB. */
function pickSize(random: () => number): number {
  const r = random();
  const [low, high] = r < 0.8 ? [2_000, 20_000] : r < 0.95 ? [20_000, 100_000] : [100_000, 500_000];
  return Math.floor(low + random() * (high - low));
}

export function mixedCorpus(count: number, seed = 42, domain = 'bench.example'): CorpusMail[] {
  const random = rng(seed);
  const mails: CorpusMail[] = [];
  for (let n = 0; n < count; n++) {
    const size = pickSize(random);
    const messageId = `bench-${seed}-${n}@${domain}`;
    const kind = n % 4;
    const head = [
      `From: "Customer ${n % 97}" <customer${n % 97}@customers.example>`,
      `To: support@${domain}`,
      `Subject: ${kind === 3 ? '=?UTF-8?B?' + Buffer.from(`Drucker geht nicht – Ticket ${n}`).toString('base64') + '?=' : `Printer problem number ${n}`}`,
      `Date: ${new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <${messageId}>`,
      'MIME-Version: 1.0',
    ];
    let body: string;
    if (kind === 0) {
      body = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text(random, size)].join('\r\n');
    } else if (kind === 1) {
      const html = `<html><body><p>${text(random, size - 200).replace(/\r\n/g, '</p><p>')}</p></body></html>`;
      body = ['Content-Type: multipart/alternative; boundary="alt"', '', '--alt', 'Content-Type: text/plain; charset=utf-8', '', text(random, 500), '--alt', 'Content-Type: text/html; charset=utf-8', '', html, '--alt--', ''].join('\r\n');
    } else {
      const attachment = Buffer.alloc(Math.max(100, Math.floor((size - 1_000) * 0.74)));
      for (let i = 0; i < attachment.length; i++) attachment[i] = Math.floor(random() * 256);
      const b64 = attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
      body = [
        'Content-Type: multipart/mixed; boundary="mix"',
        '',
        '--mix',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Gr=FC=DFe, see the attached file.',
        '--mix',
        `Content-Type: application/octet-stream; name="report-${n}.bin"`,
        `Content-Disposition: attachment; filename="report-${n}.bin"`,
        'Content-Transfer-Encoding: base64',
        '',
        b64,
        '--mix--',
        '',
      ].join('\r\n');
    }
    mails.push({ raw: Buffer.from(`${head.join('\r\n')}\r\n${body}\r\n`, 'utf8'), messageId });
  }
  return mails;
}

/** One mail of about `bytes` (a big attachment), for the memory measurement. */
export function largeMail(bytes: number, domain = 'bench.example'): CorpusMail {
  const messageId = `large-${bytes}@${domain}`;
  const attachment = Buffer.alloc(Math.floor(bytes * 0.74), 7);
  const raw = [
    `From: big@customers.example`,
    `To: support@${domain}`,
    `Subject: a large attachment`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mix"',
    '',
    '--mix',
    'Content-Type: text/plain',
    '',
    'See attached.',
    '--mix',
    'Content-Type: application/octet-stream; name="big.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment.toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--mix--',
    '',
  ].join('\r\n');
  return { raw: Buffer.from(raw), messageId };
}
