import XOAuth2 from 'nodemailer/lib/xoauth2';
import type { SMTPConnectionAuth } from 'nodemailer/lib/smtp-connection';
import type { Credentials } from '../../../core/net/connection-options';
import { isRefusedLogin } from './delivery-error.classifier';

type OAuth2Credentials = Extract<Credentials, { kind: 'oauth2' }>;

/**
 * XOAUTH2 logins for ONE send, with at most one forced token refresh across all its
 * connections (primary, retry, alternate host).
 *
 * Servers refuse a stale token in one of two ways. Gmail-style servers answer
 * `AUTH XOAUTH2` with `334 <base64 JSON error>`; nodemailer then sends the empty line the
 * mechanism asks for and, on the same connection, asks its provision callback for a
 * renewed token (`renew = true`) and tries once more. Others answer `535` at once; then the
 * transport opens a new connection after `retryWithFreshToken()` said yes. Either way the
 * token source is asked for `forceRefresh` exactly once.
 */
export class XOAuth2Login {
  private refreshUsed = false;
  private refreshOnNextToken = false;
  /** What the token source threw (InvalidGrantError, TokenRequestError, …), passed on unchanged. */
  tokenSourceError: unknown = null;

  constructor(private readonly credentials: OAuth2Credentials) {}

  /** nodemailer auth data for one connection; a fresh XOAuth2 so no token is cached across connections. */
  authData(): SMTPConnectionAuth {
    const oauth2 = new XOAuth2({
      user: this.credentials.username,
      provisionCallback: (_user, renew, done) => this.provide(renew, done),
    });
    return { type: 'OAUTH2', user: this.credentials.username, method: 'XOAUTH2', oauth2 };
  }

  /** After a refused login: true (once) when a forced refresh is worth a new connection. */
  retryWithFreshToken(error: unknown): boolean {
    if (this.refreshUsed || this.tokenSourceError || !isRefusedLogin(error)) return false;
    this.refreshOnNextToken = true;
    return true;
  }

  private provide(renew: boolean, done: (error: Error | null, accessToken?: string) => void): void {
    // A second renew request (the fresh token was refused too) gets the same token back:
    // the server's refusal then reaches the admin, and the token URL is not hammered.
    const forceRefresh = (renew || this.refreshOnNextToken) && !this.refreshUsed;
    if (forceRefresh) {
      this.refreshUsed = true;
      this.refreshOnNextToken = false;
    }
    this.credentials.accessToken(forceRefresh ? { forceRefresh: true } : undefined).then(
      (token) => done(null, token),
      (error: unknown) => {
        // nodemailer rewrites the `code` of the error it is given (EAUTH): keep ours intact.
        this.tokenSourceError = error;
        done(new Error('no access token available'));
      },
    );
  }
}
