import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findRequestToken, normalizeSubject } from './subject';

describe('normalizeSubject', () => {
  const cases: Array<[string, string]> = [
    ['Printer broken', 'printer broken'],
    ['Re: Printer broken', 'printer broken'],
    ['RE: Re: re:Printer broken', 'printer broken'],
    ['Fwd: FW: Printer broken', 'printer broken'],
    ['AW: WG: Printer broken', 'printer broken'],
    ['SV: VS: Antw: Printer broken', 'printer broken'],
    ['RE[2]: Re(3): Printer broken', 'printer broken'],
    ['Re: [##1042##] Printer broken', 'printer broken'],
    ['[##1042##] Re: Printer broken', 'printer broken'],
    ['AW: Re: [##1042##] AW: Printer   broken  ', 'printer broken'],
    ['Automatic reply: [##1042##] We received your request', 'we received your request'],
    ['Automatische Antwort: AW: [##7##] Drucker', 'drucker'],
    ['Ответ: Не работает принтер', 'не работает принтер'],
    ['回复：账户无法登录', '账户无法登录'],
    ['ＲＥ： Full-width', 'full-width'],
    ['Réf : Café', 'café'],
    ['Rechnung: März', 'rechnung: märz'],
    ['Re: ', ''],
    ['', ''],
  ];
  for (const [subject, expected] of cases) {
    it(`normalizes ${JSON.stringify(subject)} to ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeSubject(subject), expected);
    });
  }

  it('makes an auto-reply ping-pong collapse to one subject', () => {
    const subjects = ['Help', 'Re: [##5##] Help', 'Automatic reply: Re: [##5##] Help', 'Re: Automatic reply: Re: [##5##] Help'];
    assert.deepEqual(new Set(subjects.map(normalizeSubject)), new Set(['help']));
  });
});

describe('findRequestToken', () => {
  it('finds the number of the first token', () => {
    assert.equal(findRequestToken('Re: [##1042##] Printer [##7##]'), 1042);
  });

  it('finds nothing in subjects without a well-formed token', () => {
    for (const subject of ['Printer', '[#1042#] Printer', '[## 1042 ##]', '[##abc##]', '', null, undefined]) {
      assert.equal(findRequestToken(subject), null, String(subject));
    }
  });
});
