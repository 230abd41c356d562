/**
 * Real headless Chromium for the page tests: Debian's `chromium` (or $CHROMIUM) driven through puppeteer-core.
 * A missing browser fails the test with the way to install it; these tests never skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium to the page under test (no update checks, no sync, no QUIC probes). */
const FLAGS = [
  '--headless',
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
  /** A new page that records console errors and uncaught exceptions into `errors`. */
  page(width?: number, height?: number): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests need it (Debian: apt-get install chromium; or set CHROMIUM to a Chromium binary)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'hashaxe-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...FLAGS, `--user-data-dir=${profile}`],
    timeout: 30_000,
  });
  return {
    browser,
    async page(width = 1280, height = 900) {
      const page = await browser.newPage();
      await page.setViewport({ width, height });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${(e as Error).message}`));
      return { page, errors };
    },
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The folder a test writes its screenshots to (gitignored): test-screenshots/<name>. */
export function screenshotDir(name: string): string {
  const dir = join(process.cwd(), 'test-screenshots', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
