/**
 * An Exchange Web Services endpoint for tests, on loopback HTTPS, modelled on Microsoft's EWS
 * reference so that ews-javascript-api talks to it unmodified. It covers these documented
 * operations (SOAP 1.1, Exchange2010_SP2 request schema; see ews-emulator-operations.ts):
 *
 *   GetFolder · FindFolder (Shallow, IsEqualTo folder:DisplayName) · FindItem (IndexedPageItemView,
 *   SortOrder item:DateTimeReceived) · GetItem (item:MimeContent, item:Size, item:DateTimeReceived,
 *   message:IsRead) · UpdateItem (SetItemField message:IsRead) · MoveItem · DeleteItem (HardDelete,
 *   SoftDelete, MoveToDeletedItems) · CreateItem (MimeContent with SaveOnly, SendOnly,
 *   SendAndSaveCopy, SavedItemFolderId) · SendItem · SyncFolderItems (SyncState,
 *   MaxChangesReturned, IncludesLastItemInRange; Create / ReadFlagChange / Delete)
 *
 * Authentication: Basic (passwords set with setPassword, as on-premises Exchange) or
 * `Authorization: Bearer` checked by introspection at the test authorization server; a
 * refused token gets 401 with `WWW-Authenticate: Bearer … error="invalid_token"` and an
 * `x-ms-diagnostics` reason, as Exchange Online answers. Other mailboxes open only after
 * grantAccess (else ErrorAccessDenied). Faults (injectFault): ErrorServerBusy as an HTTP 500
 * SOAP fault with BackOffMilliseconds ("EWS throttling in Exchange"), any HTTP status with
 * Retry-After, or a per-response error code (ResponseClass="Error") such as ErrorAccessDenied.
 *
 * Not covered: Autodiscover, impersonation (ExchangeImpersonation header), notifications,
 * attachments as separate objects, restrictions other than the one above, NTLM.
 */
import type { AuthCoordinates } from './env';
import { MailEmulatorBase, type EmulatorAnswer, type EmulatorRequest, type TlsPair } from './graph-emulator-base';
import { EwsOperations } from './ews-emulator-operations';
import { parseSoapRequest, soapFault } from './ews-emulator-xml';

export type EwsFault =
  | { kind: 'serverBusy'; backOffMs: number }
  | { kind: 'http'; status: number; retryAfter?: number; body?: string }
  | { kind: 'error'; code: string; message?: string };

const XML = { 'content-type': 'text/xml; charset=utf-8' };

type Answer = EmulatorAnswer & { operation: string; user: string | null };

export class EwsEmulator extends MailEmulatorBase<EwsFault> {
  private readonly passwords = new Map<string, string>();

  /** The EWS URL, to use as connectUrl. */
  get url(): string {
    return `https://127.0.0.1:${this.port}/EWS/Exchange.asmx`;
  }

  /** Lets `user` log in with Basic authentication (on-premises Exchange); creates the mailbox. */
  setPassword(user: string, password: string): void {
    this.passwords.set(user.toLowerCase(), password);
    this.store.mailbox(user);
  }

  protected async handle(request: EmulatorRequest): Promise<Answer> {
    if (request.url.pathname.toLowerCase() !== '/ews/exchange.asmx') return { status: 404, operation: 'not-found', user: null, body: 'Not Found' };
    if (request.method !== 'POST') return { status: 405, operation: 'not-allowed', user: null, headers: { allow: 'POST' } };
    let parsed: ReturnType<typeof parseSoapRequest>;
    try {
      parsed = parseSoapRequest(request.body.toString('utf8'));
    } catch {
      parsed = null;
    }
    const operation = parsed?.name ?? 'invalid';
    const user = await this.authenticate(request);
    if (typeof user !== 'string') return { ...user, operation };
    if (!parsed) return { status: 500, operation, user, headers: XML, body: soapFault('ErrorSchemaValidation', 'The request failed schema validation.') };

    const fault = this.takeFault(operation);
    if (fault?.kind === 'serverBusy') {
      return { status: 500, operation, user, headers: XML, body: soapFault('ErrorServerBusy', 'The server cannot service this request right now. Try again later.', fault.backOffMs) };
    }
    if (fault?.kind === 'http') {
      const headers: Record<string, string> = { 'content-type': 'text/html' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      return { status: fault.status, operation, user, headers, body: fault.body ?? `<html><body>HTTP ${fault.status}</body></html>` };
    }
    const forced = fault?.kind === 'error' ? { code: fault.code, text: fault.message ?? `${fault.code} (injected by the test)` } : undefined;
    const xml = new EwsOperations(this.store, user, forced).run(operation, parsed.node);
    if (xml === null) return { status: 500, operation, user, headers: XML, body: soapFault('ErrorInvalidRequest', `The emulator does not implement ${operation}.`) };
    return { status: 200, operation, user, headers: XML, body: xml };
  }

  /** The account of the request, or the 401 answer. */
  private async authenticate(request: EmulatorRequest): Promise<string | Omit<Answer, 'operation'>> {
    const header = String(request.headers.authorization ?? '');
    const basic = /^Basic (.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = decoded.slice(0, colon).toLowerCase();
      if (colon > 0 && this.passwords.get(user) === decoded.slice(colon + 1)) return user;
      return { status: 401, user: null, headers: { 'www-authenticate': 'Basic realm="127.0.0.1"' }, body: '' };
    }
    const bearer = /^Bearer (.+)$/i.exec(header);
    if (bearer) {
      const user = await this.bearerUser(bearer[1].trim());
      if (user) {
        this.store.mailbox(user);
        return user;
      }
      return {
        status: 401,
        user: null,
        headers: {
          'www-authenticate': 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token"',
          'x-ms-diagnostics': '2000001;reason="The token is expired or has been revoked.";error_category="invalid_token"',
        },
        body: '',
      };
    }
    return { status: 401, user: null, headers: { 'www-authenticate': ['Basic realm="127.0.0.1"', 'Bearer'] }, body: '' };
  }
}

/** Starts an EWS emulator with the harness's trusted certificate (testEnv().trustedCert). */
export function startEwsEmulator(tls: TlsPair, auth?: AuthCoordinates): Promise<EwsEmulator> {
  return new EwsEmulator(auth).start(tls);
}
