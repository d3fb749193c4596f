import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeMailHtml } from './html-sanitizer';
import { TooComplexError } from './mail-errors';

describe('sanitizeMailHtml', () => {
  const cases: Array<[string, string, string]> = [
    ['drops onerror handlers', '<img src="cid:a@b" onerror="alert(1)">', '<img src="cid:a@b" />'],
    ['drops svg with onload and everything inside it', '<svg onload="alert(1)"><script>alert(2)</script><text>x</text></svg>after', 'after'],
    ['drops javascript: links', '<a href="javascript:alert(1)">x</a>', '<a>x</a>'],
    ['drops javascript: hidden by a tab entity', '<a href="jav&#x09;ascript:alert(1)">x</a>', '<a>x</a>'],
    ['drops javascript: hidden by a numeric entity', '<a href="&#106;avascript:alert(1)">x</a>', '<a>x</a>'],
    ['drops javascript: hidden by case and spaces', '<a href="  JaVaScRiPt:alert(1)">x</a>', '<a>x</a>'],
    ['drops vbscript: and data: links', '<a href="vbscript:x">v</a><a href="data:text/html,<script>x</script>">d</a>', '<a>v</a><a>d</a>'],
    [
      'keeps http links, opened safely',
      '<a href="https://example.org/a b" onclick="x()">ok</a>',
      '<a href="https://example.org/a%20b" rel="noopener noreferrer" target="_blank">ok</a>',
    ],
    ['keeps mailto and tel links', '<a href="mailto:a@example.org">m</a>', '<a href="mailto:a@example.org" rel="noopener noreferrer" target="_blank">m</a>'],
    ['drops relative links, which mean nothing in a mail', '<a href="/account" target="_top">x</a>', '<a>x</a>'],
    ['drops CSS url()', '<p style="background:url(https://t.example/p.gif);color:red">s</p>', '<p style="color:red">s</p>'],
    ['drops CSS expression()', '<p style="width:expression(alert(1))">s</p>', '<p>s</p>'],
    ['drops CSS escapes that could spell url', '<p style="color:\\75 rl(x)">s</p>', '<p>s</p>'],
    ['drops CSS that can overlay the UI', '<div style="position:fixed;top:0;z-index:9;color:red">s</div>', '<div style="color:red">s</div>'],
    ['drops <base>', '<base href="https://evil.example/"><p>x</p>', '<p>x</p>'],
    ['drops <meta http-equiv=refresh>', '<meta http-equiv="refresh" content="0;url=https://evil.example">text', 'text'],
    ['drops <style> with its content', '<style>body{display:none}</style><p>visible</p>', '<p>visible</p>'],
    ['drops <script> with its content', '<p>a</p><script>alert(1)</script><p>b</p>', '<p>a</p><p>b</p>'],
    ['drops iframes, objects and embeds', '<iframe src="https://x"></iframe><object data="x"></object><embed src="x">ok', 'ok'],
    ['drops forms but keeps their visible text', '<form action="https://evil"><input name="p"><button>Go</button></form>', 'Go'],
    ['drops ids, names and classes that could clobber the UI', '<div id="app" class="x" name="y">z</div>', '<div>z</div>'],
    ['moves remote images to data-remote-src', '<img src="https://t.example/pixel.gif" width="1">', '<img width="1" data-remote-src="https://t.example/pixel.gif" />'],
    ['treats protocol-relative images as remote', '<img src="//t.example/p.gif">', '<img data-remote-src="https://t.example/p.gif" />'],
    ['keeps cid: images', '<img src="cid:logo@helpdesk" alt="Logo">', '<img alt="Logo" src="cid:logo@helpdesk" />'],
    ['drops data: images', '<img src="data:image/png;base64,AAAA">', '<img />'],
    ['drops a forged data-remote-src', '<img data-remote-src="javascript:alert(1)">', '<img />'],
    ['drops srcset, another remote source', '<img src="cid:a@b" srcset="https://t.example/x.png 2x">', '<img src="cid:a@b" />'],
    ['drops conditional comments', '<!--[if mso]><p>mso</p><![endif]--><p>after</p>', '<p>after</p>'],
    ['drops NUL bytes', '<p>a\u0000b</p>', '<p>ab</p>'],
    [
      'keeps presentational tables and styles',
      `<table bgcolor="#fff"><tr><td colspan="2" style="border:1px solid #000;font-family:'Segoe UI', sans-serif">c</td></tr></table>`,
      `<table bgcolor="#fff"><tr><td colspan="2" style="border:1px solid #000;font-family:'Segoe UI', sans-serif">c</td></tr></table>`,
    ],
    ['keeps quoted replies', '<blockquote type="cite">quoted</blockquote>', '<blockquote type="cite">quoted</blockquote>'],
  ];
  for (const [what, html, expected] of cases) {
    it(what, () => assert.equal(sanitizeMailHtml(html), expected));
  }

  it('refuses HTML longer than the limit', () => {
    assert.throws(() => sanitizeMailHtml('<p>x</p>'.repeat(200), { maxHtmlChars: 1000, maxHtmlElements: 100_000, maxHtmlDepth: 500 }), TooComplexError);
  });

  it('stops early on 50,000 nested elements instead of working for seconds', () => {
    const started = Date.now();
    assert.throws(() => sanitizeMailHtml('<div>'.repeat(50_000) + 'x' + '</div>'.repeat(50_000)), /nests elements more than 500 levels/);
    assert.ok(Date.now() - started < 500);
  });

  it('refuses more elements than the limit', () => {
    assert.throws(() => sanitizeMailHtml('<b>x</b>'.repeat(100_001)), /more than 100000 elements/);
  });

  it('sanitizes thousands of links in bounded time', () => {
    const links = Array.from({ length: 20_000 }, (_, i) => `<a href="https://example.org/${i}" style="color:red">${i}</a>`).join('');
    const started = Date.now();
    const html = sanitizeMailHtml(links);
    assert.equal(html.match(/rel="noopener noreferrer"/g)?.length, 20_000);
    assert.ok(Date.now() - started < 2_000);
  });

  it('does not count void elements as nesting', () => {
    assert.doesNotThrow(() => sanitizeMailHtml('<p>' + 'line<br>'.repeat(2_000) + '</p>'));
  });
});
