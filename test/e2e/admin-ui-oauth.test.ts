import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createMailUser, deliver } from '../support/dovecot-admin';
import { testEnv } from '../support/env';
import { registerServiceClient, type AppClient } from '../support/oauth-fixtures';
import { startTestService, TEST_API_TOKEN, type ServiceUnderTest } from '../support/service';
import { uniqueId } from '../support/tmp';
import { launchUi, screenshot, type UiBrowser } from './ui-browser';
import { card, endpointLive, fillTags, mailWithAttachment, pickOption, requestWithSubject, sideBadge, signIn, waitFor } from './ui-helpers';

/**
 * The admin's OAuth2 journey in real Chromium against the real service, the test Dovecot and
 * the test authorization server: sign in, add the app, create an IMAPS OAuth2 mailbox,
 * consent in the popup, fetch a sample mail, fetch now and open the request with its
 * attachment. The steps share the service and the browser, in order.
 */
describe('admin UI in Chromium: OAuth2 mailbox from sign-in to a request', () => {
  let sut: ServiceUnderTest;
  let ui: UiBrowser;
  let page: Page;
  let client: AppClient;
  let user: { email: string; password: string };
  const appName = `Test authorization server ${uniqueId()}`;
  const subject = `Printer on floor 3 is jammed ${uniqueId()}`;
  const attachment = { filename: 'printer-status.txt', content: `Paper jam in tray 2 (${uniqueId()})\n` };
  let mailboxId = '';

  before(async () => {
    [ui, sut] = await Promise.all([launchUi(), startTestService({ env: { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '500' } })]);
    page = ui.page;
    [client, user] = await Promise.all([registerServiceClient(sut), createMailUser('ui')]);
    await deliver(user.email, mailWithAttachment({ to: user.email, subject, attachment }));
  });
  after(async () => {
    await ui?.close();
    await sut?.close();
  });

  it('signs in with the API token, and says so clearly when the token is wrong', async () => {
    await page.goto(sut.url);
    // Keyboard only: the token field has the focus, Enter submits.
    await ui.console.allowing(/status of 401/, async () => {
      await page.keyboard.type('not-the-token');
      await page.keyboard.press('Enter');
      await page.getByText('This API token is wrong').waitFor();
    });
    await screenshot(page, 'sign-in');
    await signIn(page, sut.url, TEST_API_TOKEN, { navigate: false });
    assert.ok(!page.url().includes(TEST_API_TOKEN), 'the token is never in the URL');
    assert.equal(await page.evaluate("sessionStorage.getItem('deskmail.apiToken')"), TEST_API_TOKEN);
    ui.console.assertClean();
  });

  it('adds an OAuth2 application for a custom authorization server (http for loopback)', async () => {
    const auth = testEnv().auth;
    await page.getByRole('link', { name: 'OAuth2 applications' }).click();
    await page.getByRole('link', { name: 'Add application' }).first().click();
    await pickOption(page, 'Provider', 'Other (custom authorization server)');
    await page.getByLabel('Name', { exact: true }).fill(appName);
    await page.getByLabel('Client ID').fill(client.clientId);
    await page.getByLabel('Client secret', { exact: true }).fill(client.clientSecret!);
    await page.getByLabel('Authorize URL').fill(auth.authorizeUrl);
    await page.getByLabel('Access token URL').fill(auth.tokenUrl);
    await fillTags(page, /^Scopes/, ['openid', 'email', 'offline_access']);
    await screenshot(page, 'oauth-app-custom', { fullPage: true });
    await page.getByRole('button', { name: 'Add application' }).click();

    const row = page.getByRole('row').filter({ hasText: appName });
    await row.getByText('set', { exact: true }).waitFor();
    const app = (await sut.api.get('/v1/oauth2')).body.apps.find((a: { name: string }) => a.name === appName);
    assert.equal(app.provider, 'custom');
    assert.equal(app.clientSecretSet, true);
    assert.equal(app.authorizeUrl, auth.authorizeUrl);
    assert.deepEqual(app.scopes.slice(0, 3), ['openid', 'email', 'offline_access']);
    await screenshot(page, 'oauth-apps');
    ui.console.assertClean();
  });

  it('creates an IMAPS OAuth2 mailbox, with the service’s validation message beside its field', async () => {
    const dovecot = testEnv().dovecot;
    await page.getByRole('link', { name: 'Mailboxes' }).first().click();
    await page.getByRole('link', { name: 'Add mailbox' }).first().click();
    await page.getByLabel('Mailbox name').fill('Helpdesk');
    await fillTags(page, 'Email address(es)', [user.email]);
    await page.getByRole('radio', { name: 'OAuth2' }).check();
    await page.getByLabel('Server name / IP address').fill(dovecot.host);
    await page.getByRole('textbox', { name: 'Port', exact: true }).fill(String(dovecot.imapsPort));
    await page.getByLabel('Username').fill(user.email);
    await pickOption(page, 'OAuth2 application', appName);
    await pickOption(page, 'Mail already on the server at the first fetch', 'Import all of it');
    await page.getByLabel('CA certificate (PEM)').fill('this is not a certificate');
    await page.getByRole('tab', { name: 'Outgoing' }).click();
    await page.getByLabel('Send replies and notifications from this mailbox').uncheck();
    await page.getByRole('tab', { name: 'Incoming' }).click();

    await ui.console.allowing(/status of 400/, async () => {
      await page.getByRole('button', { name: 'Create mailbox' }).click();
      await page.getByText('The service did not accept these settings').waitFor();
    });
    // The 400's `incoming.caCertificate …` entry is the field's own error (aria-describedby).
    const field = page.getByLabel('CA certificate (PEM)');
    const errorId = (await field.getAttribute('aria-describedby'))?.split(' ').find((id) => id.endsWith('-error'));
    assert.ok(errorId, 'the CA certificate field has an error');
    assert.match(await page.locator(`[id="${errorId}"]`).innerText(), /PEM certificate/);
    await screenshot(page, 'mailbox-validation', { fullPage: true });

    await field.fill(dovecot.caCert);
    await page.getByRole('button', { name: 'Create mailbox' }).click();
    await page.waitForURL(/\/mailboxes\/[0-9a-f-]{36}$/);
    mailboxId = page.url().split('/').pop()!;
    const mailbox = (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body;
    assert.equal(mailbox.incoming.protocol, 'imaps');
    assert.equal(mailbox.incoming.authType, 'oauth2');
    assert.equal(mailbox.incoming.port, dovecot.imapsPort);
    assert.equal(mailbox.incoming.importExisting, 'all');
    assert.equal(mailbox.outgoing, null);
    await sideBadge(page, 'incoming', 'authorizationRequired').waitFor();
    ui.console.assertClean();
  });

  it('authorizes in the consent popup; the state badge changes without a reload', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    const popupOpened = page.waitForEvent('popup');
    await card(page, 'incoming').getByRole('button', { name: 'Authorize' }).click();
    const popup = await popupOpened;
    // oidc-provider's dev pages: log in as the mailbox user (any password), then consent.
    await popup.waitForURL((url) => url.origin === new URL(testEnv().auth.issuer).origin);
    await popup.locator('input[name="login"]').fill(user.email);
    await popup.locator('input[name="password"]').fill('any-password');
    await popup.locator('button[type="submit"]').click();
    // The callback page posts its message and the UI closes the popup, maybe mid-click.
    await popup
      .locator('button[type="submit"]')
      .filter({ hasText: /continue/i })
      .click()
      .catch((error: Error) => assert.ok(popup.isClosed(), error.message));

    await page.getByText('Authorized. deskmail is connecting').waitFor();
    await sideBadge(page, 'incoming', 'connecting', 'connected').waitFor();
    assert.deepEqual(navigations, [], 'the page updated in place');
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5_000 });
    const grant = (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.incoming.oauth2;
    assert.equal(grant?.user, user.email);
    ui.console.assertClean();
  });

  it('fetches a sample mail and shows its subject, sender and attachment', async (t) => {
    if (!(await endpointLive(sut, 'POST', `/v1/mailboxes/${mailboxId}/sample-mail`))) {
      return t.skip('POST /v1/mailboxes/:id/sample-mail is not served yet');
    }
    await card(page, 'incoming').getByRole('button', { name: 'Fetch a sample mail' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sample mail' });
    await dialog.getByRole('heading', { name: subject }).waitFor({ timeout: 20_000 });
    await dialog.getByText('sender@example.test').first().waitFor();
    await dialog.getByRole('cell', { name: attachment.filename }).waitFor();
    await screenshot(page, 'sample-mail');
    await page.keyboard.press('Escape');
    await sideBadge(page, 'incoming', 'connected').waitFor();
    ui.console.assertClean();
  });

  it('fetches now, shows the counts, and opens the request with its attachment', async (t) => {
    if (!(await endpointLive(sut, 'POST', `/v1/mailboxes/${mailboxId}/fetch`))) return t.skip('POST /v1/mailboxes/:id/fetch is not served yet');
    await card(page, 'incoming').getByRole('button', { name: 'Fetch now' }).click();
    // The scheduler may have fetched it first: then this run finds nothing new.
    await card(page, 'incoming').getByText(/^\d+ fetched$/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'mailbox-connected', { fullPage: true });
    const requestId = await waitFor(() => requestWithSubject(sut, subject), 10_000, 'the request');

    await page.getByRole('link', { name: 'Requests' }).click();
    await page.getByLabel('Search').fill(subject.split(' ').pop()!);
    await page.getByRole('link', { name: subject }).click();
    await page.waitForURL(`**/requests/${requestId}`);
    await page.getByText('Hello, the printer on floor 3').first().waitFor();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: `Download ${attachment.filename}` }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), attachment.filename);
    assert.equal(readFileSync(await download.path()).toString('utf8'), attachment.content);
    assert.match(download.url(), /^blob:/, 'fetched with the token in a header, then saved from memory');
    ui.console.assertClean();
  });
});
