import { InvalidGrantError, MailError, ReauthorizationRequired, TokenRequestError } from '../../core/errors';
import type { TokenFailure } from './token-response';

/**
 * The OAuth2 module's errors, all in the MailError family of core/errors so fetchers, the
 * outbox and the error filter understand them by `code`.
 */

/** The token endpoint failed in a way that may pass (TOKEN_REQUEST_FAILED, retryable). */
export class TokenEndpointError extends TokenRequestError {
  constructor(
    message: string,
    readonly failure: TokenFailure | null = null,
  ) {
    super(message);
  }
}

/** The token endpoint refused the app's client id/secret: the admin must fix the app (not retryable as is). */
export class ClientRejectedError extends MailError {
  readonly code = 'TOKEN_REQUEST_FAILED' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly failure: TokenFailure,
  ) {
    super(message);
  }
}

/** The grant is dead (invalid_grant and friends): only a new consent helps (INVALID_GRANT). */
export class GrantRevokedError extends InvalidGrantError {}

/**
 * The side has no usable grant yet (never authorized, or its app changed): AUTHORIZATION_REQUIRED.
 * 409, not the MailError 502: no remote server failed, the mailbox is in the wrong state.
 */
export class NotAuthorizedError extends ReauthorizationRequired {
  override readonly status: number = 409;
}
