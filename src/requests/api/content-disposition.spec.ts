import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentDisposition } from './content-disposition';

describe('contentDisposition', () => {
  it('quotes a plain ASCII name', () => {
    assert.equal(contentDisposition('report.pdf'), 'attachment; filename="report.pdf"');
  });

  it('adds filename* in UTF-8 with an ASCII fallback for other names', () => {
    assert.equal(contentDisposition('Größe übersicht.xlsx'), `attachment; filename="Gro_e ubersicht.xlsx"; filename*=UTF-8''Gr%C3%B6%C3%9Fe%20%C3%BCbersicht.xlsx`);
    assert.equal(contentDisposition('請求書.pdf'), `attachment; filename="___.pdf"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf`);
  });

  it('never lets quotes, backslashes or line breaks into the header', () => {
    const header = contentDisposition('a"b\\c\r\nSet-Cookie: x.txt');
    assert.doesNotMatch(header, /[\r\n]/);
    assert.match(header, /^attachment; filename="a_b_cSet-Cookie: x.txt"; filename\*=UTF-8''a%22b%5Cc/);
  });
});
