import sanitizeHtml from 'sanitize-html';
import { TooComplexError } from './mail-errors';
import { DEFAULT_MAIL_LIMITS, type MailLimits } from './mail-limits';

export type HtmlLimits = Pick<MailLimits, 'maxHtmlChars' | 'maxHtmlElements' | 'maxHtmlDepth'>;

/**
 * Makes a mail's HTML safe to store and show in the helpdesk UI:
 *
 * - no active content: script, style, iframe, object, embed, form controls, svg, math,
 *   base, meta (no `http-equiv=refresh`), link; no event handler or unknown attribute;
 * - links only to http(s), mailto and tel, checked with the WHATWG URL parser (the one the
 *   browser uses, so `jav&#x09;ascript:` is seen as the `javascript:` it becomes), and opened
 *   with rel="noopener noreferrer" target="_blank";
 * - no remote content: a remote image's address moves to `data-remote-src` (the UI may offer
 *   "show images"), so tracking pixels do not fire on view; `cid:` images are kept, as they
 *   name the mail's own inline parts; `data:` images are dropped;
 * - inline styles only from a list of presentational properties whose values cannot load
 *   anything (no url(), image(), expression(), no escapes or comments), and nothing that can
 *   lay a fake UI over ours (no position, z-index, transform).
 *
 * Bounded: longer HTML, more elements or deeper nesting than `limits` throws TooComplexError
 * and the mail goes to quarantine. Not truncation: cutting HTML loses content silently and
 * leaves broken markup, and the limits sit far above real mail (Excel pastes included), so
 * what crosses them is pathological and better looked at by an admin, raw kept.
 */
export function sanitizeMailHtml(html: string, limits: HtmlLimits = DEFAULT_MAIL_LIMITS): string {
  if (html.length > limits.maxHtmlChars) {
    throw new TooComplexError(`the HTML body has ${html.length} characters; at most ${limits.maxHtmlChars} are accepted`);
  }
  let elements = 0;
  let depth = 0;
  return sanitizeHtml(html.replace(/\u0000/g, ''), {
    ...MAIL_HTML_POLICY,
    // sanitize-html (htmlparser2 underneath) slows down super-linearly with nesting, so the
    // walk stops as soon as a limit is crossed instead of after the work is done.
    onOpenTag: () => {
      elements += 1;
      depth += 1;
      if (elements > limits.maxHtmlElements) {
        throw new TooComplexError(`the HTML body has more than ${limits.maxHtmlElements} elements`);
      }
      if (depth > limits.maxHtmlDepth) {
        throw new TooComplexError(`the HTML body nests elements more than ${limits.maxHtmlDepth} levels deep`);
      }
    },
    onCloseTag: () => {
      depth = Math.max(0, depth - 1);
    },
  });
}

const LINK_SCHEMES = ['http:', 'https:', 'mailto:', 'tel:'];

/**
 * A CSS value that cannot fetch or run anything: no functions that load resources or
 * evaluate (url, image, image-set, cross-fade, element, expression, var/env/attr), no
 * `javascript:`, and only characters that leave no room for escapes (`\`) or comments (`*`).
 */
const SAFE_CSS_VALUE =
  /^(?![\s\S]*\b(?:url|image|image-set|-webkit-image-set|cross-fade|element|expression|paint|var|env|attr)\s*\()(?![\s\S]*script\s*:)[\w\s#%,.()'"/!+-]*$/i;

const PRESENTATIONAL_PROPERTIES = [
  'color', 'background-color',
  'font', 'font-family', 'font-size', 'font-style', 'font-weight', 'font-variant',
  'text-align', 'text-decoration', 'text-indent', 'text-transform', 'letter-spacing', 'word-spacing',
  'line-height', 'vertical-align', 'white-space', 'word-break', 'word-wrap', 'overflow-wrap', 'direction',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-color', 'border-style',
  'border-width', 'border-collapse', 'border-spacing', 'border-radius',
  'width', 'height', 'min-width', 'max-width', 'min-height', 'max-height',
  'display', 'float', 'clear', 'list-style-type', 'table-layout',
];

const TABLE_CELL_ATTRIBUTES = ['colspan', 'rowspan', 'nowrap', 'width', 'height', 'bgcolor', 'align', 'valign'];

const MAIL_HTML_POLICY: sanitizeHtml.IOptions = {
  allowedTags: [
    'a', 'abbr', 'address', 'article', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center',
    'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure',
    'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img', 'ins', 'kbd', 'li',
    'main', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strike', 'strong',
    'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
  ],
  // Disallowed tags are dropped; the content of these is dropped with them (not shown as text).
  nonTextTags: [
    'script', 'style', 'textarea', 'option', 'xmp', 'title', 'head', 'template', 'noscript', 'noembed',
    'noframes', 'iframe', 'object', 'embed', 'applet', 'svg', 'math', 'xml',
  ],
  disallowedTagsMode: 'discard',
  allowedAttributes: {
    // No id/name/class: they let mail content clobber or restyle the UI around it.
    '*': ['style', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'bgcolor'],
    a: ['href', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height', 'data-remote-src'],
    font: ['color', 'face', 'size'],
    table: ['border', 'cellpadding', 'cellspacing', 'width', 'bgcolor', 'align'],
    td: TABLE_CELL_ATTRIBUTES,
    th: TABLE_CELL_ATTRIBUTES,
    col: ['span', 'width'],
    colgroup: ['span', 'width'],
    ol: ['start', 'type'],
    li: ['value'],
    // Apple Mail and Thunderbird mark quoted replies with type="cite".
    blockquote: ['type'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['cid'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(PRESENTATIONAL_PROPERTIES.map((property) => [property, [SAFE_CSS_VALUE]])) },
  transformTags: {
    a: (tagName, attribs) => {
      const { href, ...rest } = attribs;
      const safe = href === undefined ? null : parseUrl(href, LINK_SCHEMES);
      return {
        tagName,
        attribs: safe ? { ...rest, href: safe, rel: 'noopener noreferrer', target: '_blank' } : withoutLinkAttributes(rest),
      };
    },
    img: (tagName, attribs) => {
      const { src, srcset: _srcset, 'data-remote-src': _forged, ...rest } = attribs;
      const source = (src ?? '').trim();
      if (/^cid:/i.test(source)) return { tagName, attribs: { ...rest, src: source } };
      // Protocol-relative "//host/pixel.gif" is remote too.
      const remote = parseUrl(source.startsWith('//') ? `https:${source}` : source, ['http:', 'https:']);
      return { tagName, attribs: remote ? { ...rest, 'data-remote-src': remote } : rest };
    },
  },
};

function withoutLinkAttributes(attribs: sanitizeHtml.Attributes): sanitizeHtml.Attributes {
  const { target: _target, rel: _rel, ...rest } = attribs;
  return rest;
}

/** The URL as the browser would read it, when its scheme is allowed; else null. Relative URLs mean nothing in a mail. */
function parseUrl(value: string, schemes: readonly string[]): string | null {
  try {
    const url = new URL(value);
    return schemes.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}
