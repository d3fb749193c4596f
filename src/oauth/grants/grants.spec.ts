import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../../core/errors';
import type { IncomingSettings, OutgoingSettings } from '../../mailboxes/mailbox.types';
import { grantWarnings, nextRefreshAt, type AppFacts, type GrantFacts } from './grant-health';
import { oauthSideOf, sidesUsingGrant, type MailboxSides } from './oauth-side';
import { decodeJwtPayload, resolveUser } from './token-user';

const jwt = (claims: Record<string, unknown>) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('the grant user', () => {
  it('prefers the ID token address claims, then userinfo, token response, username, sub', () => {
    const none = { idToken: null, userinfo: null, userinfoFields: ['email'], tokenResponse: {}, sideUsername: null };
    assert.equal(resolveUser({ ...none, idToken: jwt({ sub: 'opaque', preferred_username: 'alice@contoso.com' }), sideUsername: 'x' }), 'alice@contoso.com');
    assert.equal(resolveUser({ ...none, idToken: jwt({ sub: 'opaque' }), userinfo: { email: 'bob@mail.ru' }, sideUsername: 'x' }), 'bob@mail.ru');
    assert.equal(resolveUser({ ...none, tokenResponse: { email: 'c@example.com' }, sideUsername: 'x' }), 'c@example.com');
    assert.equal(resolveUser({ ...none, idToken: jwt({ sub: 'opaque' }), sideUsername: 'support@example.com' }), 'support@example.com');
    assert.equal(resolveUser({ ...none, idToken: jwt({ sub: 'opaque' }) }), 'opaque');
    assert.equal(resolveUser(none), null);
  });

  it('decodes JWT payloads and returns null for anything else', () => {
    assert.deepEqual(decodeJwtPayload(jwt({ upn: 'u@x' })), { upn: 'u@x' });
    assert.equal(decodeJwtPayload('opaque-token'), null);
    assert.equal(decodeJwtPayload('a.!!!.c'), null);
  });
});

describe('OAuth2 sides of a mailbox', () => {
  const incoming = { authType: 'oauth2', oauth2App: 'app-in', username: 'in@example.com' } as IncomingSettings;
  const outgoing = { authType: 'oauth2', oauth2App: 'app-out', username: null, sameAsIncoming: false } as unknown as OutgoingSettings;
  const mailbox = (changes: Partial<MailboxSides> = {}): MailboxSides => ({ id: 'm', incoming, outgoing, incomingOAuthAppId: null, outgoingOAuthAppId: null, ...changes });
  const field = (fn: () => unknown) => {
    try {
      fn();
      return null;
    } catch (error) {
      assert.ok(error instanceof InvalidInputError);
      return error.field;
    }
  };

  it('names the side, its app and the grant it uses', () => {
    assert.deepEqual(oauthSideOf(mailbox(), 'incoming'), { side: 'incoming', grantSide: 'incoming', appId: 'app-in', username: 'in@example.com' });
    assert.deepEqual(oauthSideOf(mailbox(), 'outgoing'), { side: 'outgoing', grantSide: 'outgoing', appId: 'app-out', username: null });
  });

  it('sends outgoing with sameAsIncoming to the incoming grant, and refuses to authorize it alone', () => {
    const shared = mailbox({ outgoing: { ...outgoing, sameAsIncoming: true } });
    assert.equal(oauthSideOf(shared, 'outgoing').grantSide, 'incoming');
    assert.equal(field(() => oauthSideOf(shared, 'outgoing', { forConsent: true })), 'outgoing.sameAsIncoming');
    assert.deepEqual(sidesUsingGrant(shared, 'incoming'), ['incoming', 'outgoing']);
    assert.deepEqual(sidesUsingGrant(mailbox(), 'incoming'), ['incoming']);
  });

  it('answers 400 naming the setting that keeps a side from using OAuth2', () => {
    assert.equal(field(() => oauthSideOf(mailbox({ incoming: { ...incoming, authType: 'password' } }), 'incoming')), 'incoming.authType');
    assert.equal(field(() => oauthSideOf(mailbox({ incoming: { ...incoming, oauth2App: null } }), 'incoming')), 'incoming.oauth2App');
    assert.equal(field(() => oauthSideOf(mailbox({ outgoing: null }), 'outgoing')), 'outgoing');
  });
});

describe('token lifetime warnings', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  const tuning = { dailyRefreshAgeMs: 86_400_000, refreshTokenWarningDays: 14 };
  const healthy: GrantFacts = {
    needsReauthorization: false,
    lastRefreshError: null,
    failedRefreshes: 0,
    nextRetryAt: null,
    lastRefreshAt: daysAgo(0.5),
    refreshTokenIssuedAt: daysAgo(0.5),
    createdAt: daysAgo(30),
    expiresAt: new Date(now.getTime() + 3600_000),
    hasRefreshToken: true,
  };
  const microsoft: AppFacts = { name: 'M365', clientSecretExpiresAt: null, providerName: 'Microsoft', lifetime: { idleDays: 90, maxAgeDays: 90, note: '' } };
  const google: AppFacts = { name: 'G', clientSecretExpiresAt: null, providerName: 'Google', lifetime: { idleDays: 180, maxAgeDays: null, note: '' } };

  it('says nothing about a healthy grant, and schedules the next daily refresh', () => {
    assert.deepEqual(grantWarnings(healthy, microsoft, tuning, now), []);
    assert.equal(nextRefreshAt(healthy, tuning)?.toISOString(), new Date(daysAgo(0.5).getTime() + 86_400_000).toISOString());
  });

  it('warns before a Microsoft refresh token that was never rotated reaches 90 days', () => {
    const stale = { ...healthy, refreshTokenIssuedAt: daysAgo(80), lastRefreshAt: daysAgo(0.5) };
    assert.match(grantWarnings(stale, microsoft, tuning, now).join(), /last 90 days, so it expires around 2026-06-11/);
    assert.deepEqual(grantWarnings({ ...healthy, refreshTokenIssuedAt: daysAgo(70) }, microsoft, tuning, now), []);
  });

  it('warns before a Google refresh token goes unused for 6 months', () => {
    assert.match(grantWarnings({ ...healthy, lastRefreshAt: daysAgo(170), refreshTokenIssuedAt: daysAgo(400) }, google, tuning, now).join(), /unused for 180 days/);
    assert.deepEqual(grantWarnings({ ...healthy, refreshTokenIssuedAt: daysAgo(400) }, google, tuning, now), [], 'Google tokens do not age while used');
  });

  it('warns about an expiring or expired client secret', () => {
    assert.match(grantWarnings(healthy, { ...microsoft, clientSecretExpiresAt: new Date('2026-06-20T00:00:00Z') }, tuning, now).join(), /expires on 2026-06-20/);
    assert.match(grantWarnings(healthy, { ...microsoft, clientSecretExpiresAt: daysAgo(1) }, tuning, now).join(), /expired on/);
  });

  it('puts re-authorization and failing refreshes first, and the backoff end as the next refresh', () => {
    const failing = { ...healthy, failedRefreshes: 2, nextRetryAt: new Date(now.getTime() + 86_400_000 * 2), lastRefreshError: { code: 'TOKEN_REQUEST_FAILED', message: 'HTTP 503', at: now.toISOString() } };
    assert.match(grantWarnings(failing, microsoft, tuning, now)[0], /^token refresh failing \(2 in a row/);
    assert.equal(nextRefreshAt(failing, tuning)?.getTime(), failing.nextRetryAt.getTime());
    const dead = { ...failing, needsReauthorization: true };
    assert.match(grantWarnings(dead, microsoft, tuning, now)[0], /re-authorize the mailbox/);
    assert.equal(nextRefreshAt(dead, tuning), null);
  });

  it('warns when the provider issued no refresh token', () => {
    assert.match(grantWarnings({ ...healthy, hasRefreshToken: false }, google, tuning, now).join(), /issued no refresh token/);
  });
});
