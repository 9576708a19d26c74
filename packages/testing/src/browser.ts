import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`, which .ci/run does); a browser download cannot work here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps calling Google's services, which floods a
 * closed network with refused connections; the sandbox cannot start as root.
 */
const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (cookies, storage) that records every URL its pages request. */
  newContext(): Promise<BrowserContext & { requestedUrls: string[] }>;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile (Playwright passes a new temporary --user-data-dir on every launch). `offline: true` cuts it off from everything but this
 * machine: every host name except localhost fails to resolve, as on a machine without internet.
 */
export async function launchBrowser(options: { offline?: boolean } = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get update && apt-get install -y chromium\` or set CHROMIUM_PATH.`);
  }
  const args = [...QUIET_FLAGS];
  if (options.offline) args.push('--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
  return {
    browser,
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const requestedUrls: string[] = [];
      context.on('request', (request) => requestedUrls.push(request.url()));
      return Object.assign(context, { requestedUrls });
    },
    close: () => browser.close(),
  };
}

/**
 * The README's screenshots come from the browser tests: `npm run screenshots` sets
 * UPDATE_SCREENSHOTS=1 and they are written to docs/screenshots/. Ordinary runs write nothing.
 */
export async function screenshotIfAsked(page: Page, name: string): Promise<void> {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  await page.screenshot({ fullPage: true, path: fileURLToPath(new URL(`../../../docs/screenshots/${name}.png`, import.meta.url)) });
}
