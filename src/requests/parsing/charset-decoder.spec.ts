import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { decodeWithFallback, isKnownCharset } from './charset-decoder';

const ISO_2022_JP_KONNICHIWA = Buffer.from('1b244224332473244b2441244f1b2842', 'hex');

describe('decodeWithFallback', () => {
  const cases: Array<[string, Buffer, string | null, string, string, string]> = [
    // [what, bytes, declared, fallback, expected text, expected charset]
    ['trusts a declared charset that decodes', iconv.encode('Привет', 'koi8-r'), 'koi8-r', 'windows-1252', 'Привет', 'KOI8-R'],
    ['reads ISO-8859-1 as Windows-1252 (WHATWG), so curly quotes survive', iconv.encode('“x” €', 'windows-1252'), 'iso-8859-1', 'windows-1252', '“x” €', 'windows-1252'],
    ['reads valid UTF-8 without a label as UTF-8', Buffer.from('Grüße'), null, 'windows-1252', 'Grüße', 'UTF-8'],
    ['reads UTF-8 labelled us-ascii as UTF-8', Buffer.from('Grüße'), 'us-ascii', 'windows-1252', 'Grüße', 'UTF-8'],
    ['uses the fallback for 8-bit bytes without a label', iconv.encode('Größe', 'windows-1252'), null, 'windows-1252', 'Größe', 'windows-1252'],
    ['uses the fallback for bytes labelled UTF-8 that are not', iconv.encode('Деньги', 'windows-1251'), 'utf-8', 'windows-1251', 'Деньги', 'windows-1251'],
    ['uses the fallback for an unknown label', iconv.encode('Größe', 'windows-1252'), 'x-unknown', 'windows-1252', 'Größe', 'windows-1252'],
    ['recognises unlabelled ISO-2022-JP by its escapes', ISO_2022_JP_KONNICHIWA, null, 'windows-1252', 'こんにちは', 'ISO-2022-JP'],
    ['reads UTF-8 that a declared double-byte charset cannot decode', Buffer.from('東京 ✓'), 'shift_jis', 'windows-1252', '東京 ✓', 'UTF-8'],
    ['refuses UTF-7, which can smuggle markup', Buffer.from('+ADw-script+AD4-'), 'utf-7', 'windows-1252', '+ADw-script+AD4-', 'UTF-8'],
    ['falls back to windows-1252 when the fallback itself is unknown', iconv.encode('é', 'windows-1252'), null, 'no-such-charset', 'é', 'windows-1252'],
    [
      'keeps a UTF-8 text with one corrupt byte as UTF-8',
      Buffer.concat([Buffer.from('Здравствуйте, '), Buffer.from([0xff]), Buffer.from(' принтер')]),
      null,
      'windows-1252',
      'Здравствуйте, \uFFFD принтер',
      'UTF-8',
    ],
    [
      'keeps a GBK text with one corrupt byte as GBK',
      Buffer.concat([iconv.encode('您好，我的账户', 'gbk'), Buffer.from([0xff]), iconv.encode('无法登录', 'gbk')]),
      'gbk',
      'windows-1252',
      '您好，我的账户\uFFFD无法登录',
      'GBK',
    ],
    ['strips a UTF-8 byte order mark', Buffer.from('\uFEFFHallo'), null, 'windows-1252', 'Hallo', 'UTF-8'],
  ];
  for (const [what, bytes, declared, fallback, text, charset] of cases) {
    it(what, () => {
      assert.deepEqual(decodeWithFallback(bytes, declared, fallback), { text, charset });
    });
  }
});

describe('isKnownCharset', () => {
  it('knows the charsets mail uses, under their aliases', () => {
    for (const label of ['utf-8', 'ISO-8859-2', 'cp1251', 'KOI8-R', 'Shift_JIS', 'gb2312', 'GBK', 'iso-2022-jp', 'ks_c_5601-1987', 'latin1']) {
      assert.equal(isKnownCharset(label), true, label);
    }
  });

  it('does not know unknown labels or UTF-7', () => {
    for (const label of ['x-unknown', 'unknown-8bit', 'utf-7', 'UTF7', '', null]) assert.equal(isKnownCharset(label), false, String(label));
  });
});
