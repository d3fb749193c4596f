import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { makeTempDir, removeDir } from '../support/tmp';

/**
 * Real Chromium for the admin UI's end-to-end tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser), a fresh profile per run, and nothing but
 * loopback reachable (the oidc-provider dev pages @import Google Fonts: aborted).
 */
export const CHROMIUM = process.env.DESKMAIL_CHROMIUM ?? '/usr/bin/chromium';

// test-env.md §7 / node-svc.md: without the background-networking flags Chromium keeps
// trying Google's hosts, which this machine's closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface UiBrowser {
  context: BrowserContext;
  page: Page;
  console: ConsoleWatch;
  close(): Promise<void>;
}

export function assertBrowserPrerequisites(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium (.ci/run installs it). Tests never download a browser.`);
  }
  assertUiBuilt();
}

export function assertUiBuilt(): void {
  const index = path.resolve(__dirname, '../../web/index.html');
  if (!existsSync(index)) throw new Error(`the admin UI is not built (${index} is missing): run npm run build (it runs build:web)`);
}

export async function launchUi(): Promise<UiBrowser> {
  assertBrowserPrerequisites();
  const profile = makeTempDir('deskmail-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    acceptDownloads: true,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  await context.route(
    (url) => !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && url.protocol !== 'about:' && url.protocol !== 'data:' && url.protocol !== 'blob:',
    (route) => route.abort('blockedbyclient'),
  );
  // A file has 60 s in all (test/run.mjs): fail a step quickly rather than eat the budget.
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = new ConsoleWatch(page);
  return {
    context,
    page,
    console: watch,
    async close() {
      await context.close().catch(() => undefined);
      removeDir(profile);
    },
  };
}

/**
 * Every console error and uncaught exception of the admin UI's page. A test fails on any it
 * did not expect; an expected one (the browser logs every 4xx/5xx response it receives) is
 * allowed only while the step that provokes it runs.
 */
export class ConsoleWatch {
  private readonly unexpected: string[] = [];
  private allowed: RegExp[] = [];

  constructor(page: Page) {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error') return;
      const text = `${message.text()} (${message.location().url})`;
      if (!this.allowed.some((pattern) => pattern.test(text))) this.unexpected.push(text);
    });
    page.on('pageerror', (error) => this.unexpected.push(`uncaught: ${error.stack ?? error.message}`));
  }

  async allowing<T>(pattern: RegExp, step: () => Promise<T>): Promise<T> {
    this.allowed.push(pattern);
    try {
      return await step();
    } finally {
      // Late log lines of the same step still arrive after it resolves.
      await new Promise((resolve) => setTimeout(resolve, 200));
      this.allowed = this.allowed.filter((p) => p !== pattern);
    }
  }

  assertClean(): void {
    const errors = this.unexpected.splice(0);
    assert.deepEqual(errors, [], `the page logged console errors:\n${errors.join('\n')}`);
  }
}

/** With DESKMAIL_SCREENSHOTS_DIR set (npm run screenshots), saves the page as `<name>.png`. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const dir = process.env.DESKMAIL_SCREENSHOTS_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // Let transitions and polling settle so the picture shows the steady state.
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: options.fullPage ?? false, animations: 'disabled' });
}
