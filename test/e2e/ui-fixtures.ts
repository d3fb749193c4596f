import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createMailUser, deliver } from '../support/dovecot-admin';
import { testEnv } from '../support/env';
import { startTestService, TEST_API_TOKEN, type ServiceUnderTest } from '../support/service';
import { launchUi, type UiBrowser } from './ui-browser';
import { signIn } from './ui-helpers';

export interface SupportDesk {
  sut: ServiceUnderTest;
  ui: UiBrowser;
  page: Page;
  /** A mailbox on the test Dovecot (IMAPS, password, email debug on) sending through the test SMTPS receiver. */
  support: { id: string; email: string };
  close(): Promise<void>;
}

/**
 * The service with its workers (scheduler, outbox sender), Chromium signed in, and a "Support"
 * mailbox whose server already holds `mails` (raw messages built for its address).
 */
export async function openSupportDesk(options: { env?: NodeJS.ProcessEnv; mails: Array<(to: string) => string> }): Promise<SupportDesk> {
  const [ui, sut] = await Promise.all([
    launchUi(),
    startTestService({ env: { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '500', ...options.env } }),
  ]);
  const { dovecot, smtp } = testEnv();
  const user = await createMailUser('ui-support');
  for (const mail of options.mails) await deliver(user.email, mail(user.email));
  const created = await sut.api.post('/v1/mailboxes', {
    name: 'Support',
    emailAddresses: [user.email],
    incoming: {
      protocol: 'imaps',
      authType: 'password',
      host: dovecot.host,
      port: dovecot.imapsPort,
      username: user.email,
      password: user.password,
      caCertificate: dovecot.caCert,
      importExisting: 'all',
      debug: true,
    },
    outgoing: {
      protocol: 'smtps',
      authType: 'password',
      host: smtp.host,
      port: smtp.tlsPort,
      username: user.email,
      password: user.password,
      caCertificate: smtp.caCert,
      senderName: 'Example Support',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await signIn(ui.page, sut.url, TEST_API_TOKEN);
  return {
    sut,
    ui,
    page: ui.page,
    support: { id: created.body.id, email: user.email },
    async close() {
      await ui.close();
      await sut.close();
    },
  };
}
