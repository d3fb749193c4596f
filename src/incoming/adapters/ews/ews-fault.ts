import { XMLParser } from 'fast-xml-parser';

/**
 * What an EWS SOAP fault says. Exchange answers throttling and request-level failures with
 * HTTP 500 and a fault whose `detail` carries the EWS response code, e.g.
 *
 *   <s:Fault><faultcode>a:ErrorServerBusy</faultcode><faultstring>The server cannot service
 *   this request right now. Try again later.</faultstring><detail><e:ResponseCode>ErrorServerBusy
 *   </e:ResponseCode><t:MessageXml><t:Value Name="BackOffMilliseconds">297749</t:Value>
 *   </t:MessageXml></detail></s:Fault>
 *
 * ("EWS throttling in Exchange": BackOffMilliseconds is how long the client must wait.)
 */
export interface SoapFault {
  /** The EWS response code (`ErrorServerBusy`, `ErrorAccessDenied`, …) or the SOAP faultcode. */
  code: string;
  message: string;
  backOffMs: number | null;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false });

type Node = Record<string, unknown>;

function child(node: unknown, name: string): unknown {
  return node && typeof node === 'object' ? (node as Node)[name] : undefined;
}

function text(node: unknown): string {
  if (typeof node === 'string') return node.trim();
  if (typeof node === 'number') return String(node);
  const inner = child(node, '#text');
  return typeof inner === 'string' ? inner.trim() : '';
}

/** The fault of a SOAP answer, or null when the body is no SOAP fault (HTML error page, empty, …). */
export function parseSoapFault(body: string): SoapFault | null {
  if (!/Fault/.test(body)) return null;
  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch {
    return null;
  }
  const fault = child(child(child(doc, 'Envelope'), 'Body'), 'Fault');
  if (!fault) return null;
  const detail = child(fault, 'detail');
  const faultCode = text(child(fault, 'faultcode')).replace(/^.*:/, '');
  const code = text(child(detail, 'ResponseCode')) || faultCode || 'SoapFault';
  const message = text(child(detail, 'Message')) || text(child(fault, 'faultstring'));
  return { code, message, backOffMs: backOff(child(child(detail, 'MessageXml'), 'Value')) };
}

function backOff(values: unknown): number | null {
  for (const value of Array.isArray(values) ? values : [values]) {
    if (child(value, '@_Name') === 'BackOffMilliseconds') {
      const ms = Number(text(value));
      return Number.isFinite(ms) && ms >= 0 ? ms : null;
    }
  }
  return null;
}

/** The EWS operation of a SOAP request (`FindItem`, `GetItem`, …): the first element of the Body. */
export function soapOperation(body: string): string {
  return /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(body)?.[1] ?? 'SOAP request';
}
