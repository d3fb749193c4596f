/**
 * A Microsoft Graph (v1.0) mail endpoint for tests, on loopback HTTPS, modelled on the Graph
 * reference so that @microsoft/microsoft-graph-client talks to it unmodified. It covers these
 * documented operations, for `/me` and `/users/{id | userPrincipalName}`:
 *
 *   GET mailFolders/{id | well-known name} · GET mailFolders and mailFolders/{id}/childFolders
 *   ($filter=displayName eq '…') · GET mailFolders/{id}/messages ($top, $skip,
 *   $orderby=receivedDateTime asc|desc, $select, @odata.nextLink) · GET mailFolders/{id}/messages/delta
 *   (changeType, $select, $expand of the PR_MESSAGE_SIZE extended property, Prefer:
 *   odata.maxpagesize, @odata.nextLink with $skiptoken, @odata.deltaLink with $deltatoken, 410
 *   SyncStateNotFound for expired tokens) · GET messages/{id} · GET messages/{id}/$value (MIME) ·
 *   PATCH messages/{id} (isRead) · POST messages/{id}/move · DELETE messages/{id} (to Deleted
 *   Items) · POST sendMail with MIME (text/plain, base64; a copy saved in Sent Items)
 *
 * Tokens: `Authorization: Bearer` checked by introspection at the test authorization server;
 * none or a refused one gets 401 InvalidAuthenticationToken with `WWW-Authenticate: Bearer …
 * error="invalid_token"`. denyPermission(user, 'Mail.ReadWrite' | 'Mail.Send') makes the mail
 * or send routes answer 403 ErrorAccessDenied, as Graph does for a token without the scope;
 * another user's mailbox opens only after grantAccess. Faults (injectFault): any status with
 * Retry-After and a Graph error code, e.g. 429 TooManyRequests / 503 ServiceUnavailable.
 *
 * Not covered: JSON-format sendMail, $batch, $search, other $filter/$orderby expressions,
 * attachments, immutable ids, change notifications.
 */
import type { AuthCoordinates } from './env';
import { MailEmulatorBase, type EmulatorAnswer, type EmulatorRequest, type TlsPair } from './graph-emulator-base';
import type { StoredMailbox } from './graph-emulator-mailstore';
import { delta, displayNameFilter, folderJson, folderRef, graphError, listMessages, messageJson, projection, type RouteAnswer } from './graph-emulator-routes';

export interface GraphFault {
  status: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  code?: string;
  message?: string;
}

type Answer = EmulatorAnswer & { operation: string; user: string | null };

const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const DEFAULT_FAULT_CODES: Record<number, string> = { 429: 'TooManyRequests', 503: 'ServiceUnavailable', 504: 'GatewayTimeout', 500: 'InternalServerError' };

export class GraphEmulator extends MailEmulatorBase<GraphFault> {
  private readonly denied = new Set<string>();
  private epoch = 0;

  /** The base URL, to use as connectUrl. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Requests of `user` needing `permission` answer 403 ErrorAccessDenied, as for a token without that scope. */
  denyPermission(user: string, permission: 'Mail.ReadWrite' | 'Mail.Send'): void {
    this.denied.add(`${user.toLowerCase()}|${permission}`);
  }

  /** Every delta token issued so far answers 410 Gone from now on. */
  expireDeltaTokens(): void {
    this.epoch += 1;
  }

  protected async handle(request: EmulatorRequest): Promise<Answer> {
    const match = /^\/v1\.0\/(me|users\/([^/]+))(\/.*)$/i.exec(request.url.pathname);
    if (!match) return this.answer(graphError(400, 'BadRequest', `Resource not found for the segment '${request.url.pathname}'.`), 'unknown', null);
    const route = routeOf(request.method, match[3]);
    const user = await this.authenticate(request);
    if (typeof user !== 'string') return this.answer(user, route.operation, null);

    const fault = this.takeFault(route.operation);
    if (fault) {
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      const code = fault.code ?? DEFAULT_FAULT_CODES[fault.status] ?? 'ErrorInternalServerError';
      return this.answer(graphError(fault.status, code, fault.message ?? `${code} (injected by the test)`, headers), route.operation, user);
    }
    const target = match[2] ? decodeURIComponent(match[2]).toLowerCase() : user;
    if (!this.store.has(target) && target !== user) return this.answer(graphError(404, 'ErrorInvalidUser', `The requested user '${target}' is invalid.`), route.operation, user);
    const permission = route.operation === 'sendMail' ? 'Mail.Send' : 'Mail.ReadWrite';
    if (!this.store.mayOpen(target, user) || this.denied.has(`${user}|${permission}`)) {
      return this.answer(graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'), route.operation, user);
    }
    return this.answer(this.route(route, request, this.store.mailbox(target), user), route.operation, user);
  }

  private route(route: Route, request: EmulatorRequest, mailbox: StoredMailbox, user: string): RouteAnswer {
    const { url } = request;
    const [a] = route.params;
    if (route.operation === 'sendMail') return this.sendMail(request, mailbox, user);
    if (route.operation === 'unsupported') return graphError(400, 'BadRequest', `The emulator does not implement ${request.method} ${url.pathname}.`);
    const folderNotFound = () => graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const messageNotFound = folderNotFound;
    switch (route.operation) {
      case 'mailFolders':
      case 'childFolders': {
        const parent = route.operation === 'mailFolders' ? mailbox.root : folderRef(mailbox, a);
        if (!parent) return folderNotFound();
        const name = displayNameFilter(url.searchParams);
        if (name === undefined) return graphError(400, 'ErrorInvalidUrlQueryFilter', 'The emulator filters folders by displayName eq only.');
        const value = mailbox.children(parent.id).filter((f) => name === null || f.name.toLowerCase() === name.toLowerCase());
        return { status: 200, json: { value: value.map((f) => folderJson(mailbox, f)) } };
      }
      case 'mailFolder': {
        const folder = folderRef(mailbox, a);
        return folder ? { status: 200, json: folderJson(mailbox, folder) } : folderNotFound();
      }
      case 'messages': {
        const folder = folderRef(mailbox, a);
        return folder ? listMessages(url, mailbox, folder) : folderNotFound();
      }
      case 'messages/delta': {
        const folder = folderRef(mailbox, a);
        return folder ? delta(url, request.headers as Record<string, string>, mailbox, folder, this.epoch) : folderNotFound();
      }
    }
    const message = mailbox.messages.get(a);
    if (!message) return messageNotFound();
    switch (route.operation) {
      case 'message':
        return { status: 200, json: messageJson(message, projection(url.searchParams)) };
      case 'message/$value':
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: message.raw };
      case 'message/patch': {
        const patch = parseJson(request.body) as { isRead?: unknown } | null;
        if (!patch || typeof patch.isRead !== 'boolean') return graphError(400, 'ErrorInvalidRequest', 'The emulator updates isRead only.');
        return { status: 200, json: messageJson(mailbox.setRead(message.id, patch.isRead), projection(new URLSearchParams())) };
      }
      case 'message/move': {
        const destination = folderRef(mailbox, String((parseJson(request.body) as { destinationId?: unknown } | null)?.destinationId ?? ''));
        if (!destination) return graphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
        return { status: 201, json: messageJson(mailbox.move(message.id, destination.id), projection(new URLSearchParams())) };
      }
      case 'message/delete': {
        const deleted = mailbox.wellKnown('deleteditems')!;
        if (message.folderId === deleted.id) mailbox.remove(message.id);
        else mailbox.move(message.id, deleted.id);
        return { status: 204 };
      }
    }
    return graphError(400, 'BadRequest', `The emulator does not implement ${route.operation}.`);
  }

  /** POST sendMail with MIME: the body is the base64 MIME, Content-Type text/plain; answers 202. */
  private sendMail(request: EmulatorRequest, mailbox: StoredMailbox, user: string): RouteAnswer {
    if (!/^text\/plain/i.test(String(request.headers['content-type'] ?? ''))) return graphError(400, 'ErrorInvalidRequest', 'The emulator accepts sendMail in MIME format (text/plain) only.');
    const text = request.body.toString('ascii').replace(/\s+/g, '');
    if (!text || !/^[A-Za-z0-9+/]+=*$/.test(text)) return graphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    const raw = Buffer.from(text, 'base64');
    this.store.sent.push({ mailbox: mailbox.address, sender: user, raw, savedCopy: true, at: new Date() });
    mailbox.add(mailbox.wellKnown('sentitems')!.id, raw, { isRead: true });
    return { status: 202 };
  }

  private async authenticate(request: EmulatorRequest): Promise<string | RouteAnswer> {
    const bearer = /^Bearer (.+)$/i.exec(String(request.headers.authorization ?? ''));
    const challenge = (description: string) => ({
      'www-authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="invalid_token", error_description="${description}"`,
    });
    if (!bearer) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', challenge('Access token is empty.'));
    const user = await this.bearerUser(bearer[1].trim());
    if (!user) return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', challenge('Access token has expired or is not yet valid.'));
    this.store.mailbox(user);
    return user;
  }

  private answer(route: RouteAnswer, operation: string, user: string | null): Answer {
    const headers: Record<string, string> = { 'request-id': globalThis.crypto.randomUUID(), ...route.headers };
    let body = route.body;
    if (route.json !== undefined) {
      headers['content-type'] = JSON_TYPE;
      body = JSON.stringify(route.json);
    }
    return { status: route.status, headers, body, operation, user };
  }
}

interface Route {
  operation: string;
  params: string[];
}

/** Method and path under the mailbox → the operation name the test API counts and faults by. */
function routeOf(method: string, path: string): Route {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [s0, s1, s2, s3] = segments;
  const is = (m: string, n: number) => method === m && segments.length === n;
  if (s0 === 'sendMail' && is('POST', 1)) return { operation: 'sendMail', params: [] };
  if (s0 === 'mailFolders') {
    if (is('GET', 1)) return { operation: 'mailFolders', params: [] };
    if (is('GET', 2)) return { operation: 'mailFolder', params: [s1] };
    if (is('GET', 3) && s2 === 'childFolders') return { operation: 'childFolders', params: [s1] };
    if (is('GET', 3) && s2 === 'messages') return { operation: 'messages', params: [s1] };
    if (is('GET', 4) && s2 === 'messages' && s3 === 'delta') return { operation: 'messages/delta', params: [s1] };
  }
  if (s0 === 'messages') {
    if (is('GET', 2)) return { operation: 'message', params: [s1] };
    if (is('GET', 3) && s2 === '$value') return { operation: 'message/$value', params: [s1] };
    if (is('PATCH', 2)) return { operation: 'message/patch', params: [s1] };
    if (is('POST', 3) && s2 === 'move') return { operation: 'message/move', params: [s1] };
    if (is('DELETE', 2)) return { operation: 'message/delete', params: [s1] };
  }
  return { operation: 'unsupported', params: [] };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

/** Starts a Graph emulator with the harness's trusted certificate (testEnv().trustedCert). */
export function startGraphEmulator(tls: TlsPair, auth?: AuthCoordinates): Promise<GraphEmulator> {
  return new GraphEmulator(auth).start(tls);
}
