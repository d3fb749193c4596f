import type { Page } from 'playwright-core';
import type { ServiceUnderTest } from '../support/service';
import { uniqueId } from '../support/tmp';

/** Whether the service routes `method path` at all (a missing route answers Nest's "Cannot POST …" 404). */
export async function endpointLive(sut: ServiceUnderTest, method: string, path: string): Promise<boolean> {
  const response = await sut.api.request<{ message?: string }>(method, path);
  return !(response.status === 404 && /^Cannot [A-Z]+ /.test(String(response.body?.message ?? '')));
}

/** Picks `option` in the Mantine Select (a combobox) labelled `label`. */
export async function pickOption(page: Page, label: string, option: string): Promise<void> {
  await page.getByLabel(label).first().click();
  await page.getByRole('option', { name: option }).click();
}

/** Types values into a Mantine TagsInput, each confirmed with Enter. */
export async function fillTags(page: Page, label: string | RegExp, values: string[]): Promise<void> {
  const input = page.getByLabel(label).first();
  for (const value of values) {
    await input.fill(value);
    await input.press('Enter');
  }
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs: number, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface MailOptions {
  to: string;
  subject: string;
  attachment: { filename: string; content: string };
}

/** A plain-text mail with one text attachment, CRLF line ends. */
export function mailWithAttachment(options: MailOptions): string {
  return multipartMail(options, ['Content-Type: text/plain; charset=utf-8', '', 'Hello, the printer on floor 3 shows a paper jam again.', 'The status page is attached.']);
}

/** Text + HTML alternatives (with a script and a remote image for the sanitizer to remove) and an attachment. */
export function htmlMailWithAttachment(options: MailOptions): string {
  const inner = `alt-${uniqueId()}`;
  return multipartMail(options, [
    `Content-Type: multipart/alternative; boundary="${inner}"`,
    '',
    `--${inner}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello, please see the attached invoice. Why is it due already?',
    `--${inner}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p style="color:#1864ab">Hello, <b>Please see the attached invoice</b>.</p>',
    '<p>Why is it due already?</p><script>parent.postMessage("pwned", "*")</script>',
    '<img src="https://tracker.example.com/pixel.gif" alt="tracking pixel"></body></html>',
    `--${inner}--`,
  ]);
}

function multipartMail(options: MailOptions, firstPart: string[]): string {
  const boundary = `b-${uniqueId()}`;
  return [
    'From: Dana Requester <sender@example.test>',
    `To: ${options.to}`,
    `Subject: ${options.subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${uniqueId('ui-')}@example.test>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...firstPart,
    '',
    `--${boundary}`,
    `Content-Type: text/plain; name="${options.attachment.filename}"`,
    `Content-Disposition: attachment; filename="${options.attachment.filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(options.attachment.content).toString('base64'),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** Signs in through the sign-in screen and waits for the mailboxes page. */
export async function signIn(page: Page, url: string, token: string, options: { navigate?: boolean } = {}): Promise<void> {
  if (options.navigate !== false) await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Mailboxes' }).waitFor();
}

/** A mailbox page's Incoming or Outgoing card. */
export const card = (page: Page, side: 'incoming' | 'outgoing') => page.locator(`section[data-side="${side}"]`);

/** The side's state badge once it shows one of `states` (the contract's values, in data-state). */
export const sideBadge = (page: Page, side: 'incoming' | 'outgoing', ...states: string[]) =>
  card(page, side)
    .locator(states.map((state) => `[data-state="${state}"]`).join(', '))
    .first();

export async function requestWithSubject(sut: ServiceUnderTest, subject: string): Promise<string | null> {
  const found = await sut.api.get(`/v1/requests?q=${encodeURIComponent(subject)}`);
  if (found.status !== 200) return null;
  return found.body.requests.find((r: { subject: string }) => r.subject === subject)?.id ?? null;
}
