import { Injectable } from '@nestjs/common';

/**
 * The OAuth2 module's timings, as named constants in one place. Production uses these
 * defaults; tests shorten them on the running app (`app.get(OAuthTuning)`), because the
 * behaviours they prove (a day between refreshes, a 15 s deadline) cannot be waited out.
 */
@Injectable()
export class OAuthTuning {
  /** Deadline of one HTTP request to a token or userinfo endpoint. */
  requestTimeoutMs = 15_000;
  /** Tries per refresh when the token endpoint fails transiently (5xx, timeout, empty or non-JSON body). */
  requestAttempts = 3;
  /** Pause before the 2nd try, doubled before each further one, capped. */
  retryBaseMs = 500;
  retryMaxMs = 4_000;
  /** After a failed refresh, the grant rests this long before the next one (doubling per failure, capped). */
  failureBackoffBaseMs = 30_000;
  failureBackoffMaxMs = 15 * 60_000;
  /** An access token expiring within this is refreshed before use (issue #4: 5 minutes). */
  refreshMarginMs = 5 * 60_000;
  /** Every grant is refreshed at least this often, so refresh tokens never age out unused. */
  dailyRefreshAgeMs = 24 * 60 * 60_000;
  /** How often the scheduler looks for grants due for their daily refresh. */
  schedulerIntervalMs = 60_000;
  /** Grants refreshed per scheduler tick, and how many at once. */
  schedulerBatch = 100;
  schedulerConcurrency = 4;
  /** A consent's state is valid this long (api.md: 10 minutes). */
  consentTtlMs = 10 * 60_000;
  /** Warn this many days before a refresh token reaches a provider's documented limit. */
  refreshTokenWarningDays = 14;
}
