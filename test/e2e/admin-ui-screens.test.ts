import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ServiceUnderTest } from '../support/service';
import { uniqueId } from '../support/tmp';
import { DESKTOP, PHONE, screenshot, type UiBrowser } from './ui-browser';
import { openSupportDesk, type SupportDesk } from './ui-fixtures';
import { htmlMailWithAttachment, pickOption, requestWithSubject, waitFor } from './ui-helpers';

/** The OAuth2 app form's provider rules, the logs, and every main screen at 1280 px and 390 px. */
describe('admin UI in Chromium: OAuth2 app rules, logs, layouts', () => {
  let desk: SupportDesk;
  let sut: ServiceUnderTest;
  let ui: UiBrowser;
  let page: Page;
  let support: SupportDesk['support'];
  const subject = `Password reset for the VPN ${uniqueId()}`;

  before(async () => {
    desk = await openSupportDesk({ mails: [(to) => htmlMailWithAttachment({ to, subject, attachment: { filename: 'screenshot.txt', content: 'VPN error 809\n' } })] });
    ({ sut, ui, page, support } = desk);
    await waitFor(() => requestWithSubject(sut, subject), 20_000, 'the scheduler to create the request');
  });
  after(async () => desk?.close());

  it('explains the Graph-scope rule on the Outlook form and warns before a client secret expires', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const app = await sut.api.post('/v1/oauth2', { name: 'Contoso M365', provider: 'outlook', clientId: 'contoso-client', clientSecret: 'contoso-secret', clientSecretExpiresAt: soon });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    await page.getByRole('link', { name: 'OAuth2 applications' }).click();
    await page.getByRole('row').filter({ hasText: 'Contoso M365' }).getByText('expires soon').waitFor();
    await page.getByRole('link', { name: 'Contoso M365' }).click();
    await page.getByText('The client secret expires soon').waitFor();
    await page.getByText('Microsoft Graph scopes need the Graph base scope').waitFor();
    // Edit: the secret stays (blank = keep), the authority changes.
    await page.getByRole('combobox', { name: 'Account types (authority)' }).fill('organizations');
    await page.getByLabel('Name', { exact: true }).fill('Contoso M365 (EU)');
    await page.getByRole('button', { name: 'Save application' }).click();
    await page.getByRole('link', { name: 'Contoso M365 (EU)' }).waitFor();
    const saved = (await sut.api.get(`/v1/oauth2/${app.body.id}`)).body;
    assert.equal(saved.authority, 'organizations');
    assert.equal(saved.clientSecretSet, true);
    assert.match(saved.authorizeUrl, /\/organizations\/oauth2\/v2\.0\/authorize$/);

    await page.goto(`${sut.url}/oauth-apps/new`);
    await pickOption(page, 'Provider', 'Microsoft 365 / Outlook.com');
    await page.getByText('Microsoft Graph scopes need the Graph base scope').waitFor();
    await pickOption(page, 'Base scope', 'Microsoft Graph API');
    await page.getByText('https://graph.microsoft.com/Mail.ReadWrite').waitFor();
    await screenshot(page, 'oauth-app-outlook', { fullPage: true });
    ui.console.assertClean();
  });

  it('shows the logs newest first and lays out every main screen at 1280 px and 390 px', async () => {
    await page.goto(`${sut.url}/mailboxes/${support.id}`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByRole('table', { name: 'Mailbox log' }).waitFor();
    const times = await page.getByRole('table', { name: 'Mailbox log' }).locator('tbody tr').count();
    assert.ok(times > 0, 'log entries are shown');
    await screenshot(page, 'mailbox-logs');
    await page.getByRole('tab', { name: 'Mail server settings' }).click();
    await page.getByRole('tab', { name: 'Outgoing' }).click();
    await screenshot(page, 'mailbox-outgoing', { fullPage: true });
    // Edit and save: a PATCH that keeps the stored passwords (their fields stay blank).
    await page.getByRole('tab', { name: 'Incoming' }).click();
    await page.getByRole('switch', { name: /Enable email debug/ }).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved').waitFor();
    const mailbox = (await sut.api.get(`/v1/mailboxes/${support.id}`)).body;
    assert.equal(mailbox.incoming.debug, false);
    assert.equal(mailbox.incoming.passwordSet, true);
    assert.equal(mailbox.outgoing.passwordSet, true);

    const screens = [
      ['mailboxes', '/mailboxes'],
      ['mailbox', `/mailboxes/${support.id}`],
      ['requests', '/requests'],
      ['quarantine', '/quarantine'],
      ['outbox', '/outbox'],
      ['oauth-apps', '/oauth-apps'],
    ] as const;
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      for (const [name, path] of screens) {
        await page.goto(sut.url + path);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.locator('[aria-busy="true"]').waitFor({ state: 'detached' });
        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
        assert.ok(overflow <= 1, `${path} at ${viewport.width} px scrolls sideways by ${overflow} px`);
        if (viewport === PHONE && (name === 'mailbox' || name === 'requests')) await screenshot(page, `phone-${name}`, { fullPage: false });
        if (viewport === DESKTOP && name === 'requests') await screenshot(page, 'requests');
      }
    }
    await page.setViewportSize(DESKTOP);
    ui.console.assertClean();
  });
});
