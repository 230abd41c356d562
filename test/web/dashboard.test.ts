/**
 * hashaxe's dashboard in real headless Chromium against the whole daemon on the embedded default (emulated chain
 * on a pty, emulated board, local SV2 pool): it renders with no console error on a desktop and a phone, a fan
 * and frequency change made on the page reach /api/system/info, a refused value shows the daemon's reason, and
 * with a token the page asks for it once and then writes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { launchChromium, screenshotDir, type TestBrowser } from '../support/browser.js';
import { eventually, startTestMiner, type TestMiner } from '../support/miner.js';

const SHOTS = screenshotDir('dashboard');
let chrome: TestBrowser;
let t: TestMiner;
let base: string;

before(async () => {
  chrome = await launchChromium();
  t = await startTestMiner('bitaxe-ultra', { api: { enabled: true, port: 0 } });
  base = t.miner.apiUrl!;
});
after(async () => {
  await chrome?.close();
  await t?.stop();
});

async function info(url = base): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/api/system/info`)).json()) as Record<string, unknown>;
}

async function text(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e) => e.textContent ?? '');
}

/** Replaces an input's text the way a person does (select all, type), so each keystroke reaches the page. */
async function setInput(page: Page, selector: string, value: string): Promise<void> {
  await page.click(selector, { clickCount: 3 });
  await page.type(selector, value);
  const now = await page.$eval(selector, (e) => (e as unknown as { value: string }).value);
  assert.equal(now, value, `${selector} holds what was typed`);
}

test('the dashboard renders every card with zero console errors, on a desktop and at phone width', async () => {
  for (const [name, width, height] of [
    ['desktop', 1280, 1000],
    ['phone', 375, 812],
  ] as const) {
    const { page, errors } = await chrome.page(width, height);
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForSelector('#hashrate', { timeout: 10_000 });
    for (const card of ['Hash rate', 'Shares', 'Pool', 'Board', 'Control', 'Logs']) {
      assert.ok(await page.$(`section[aria-label="${card}"]`), `${name}: the ${card} card`);
    }
    await page.waitForFunction("document.querySelector('#pool-protocol')?.textContent === 'SV2'", { timeout: 10_000 });
    // A log line written now reaches the page through /api/ws.
    t.miner.logRing.add('info', `browser test marker ${name}`);
    await page.waitForFunction(
      `document.querySelector('#logs')?.textContent?.includes('browser test marker ${name}')`,
      {
        timeout: 5000,
      },
    );
    // uPlot drew the chart into its box (a canvas), and nothing overflows a phone's width.
    assert.ok(await page.$('section[aria-label="Hash rate"] canvas'), `${name}: the chart`);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    assert.deepEqual(errors, [], `${name}: console errors`);
    await page.close();
  }
  assert.ok(existsSync(join(SHOTS, 'phone.png')));
});

test('a fan and a frequency change made on the page round-trip to /api/system/info', async () => {
  const { page, errors } = await chrome.page();
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForSelector('#fan-mode');
  await page.select('#fan-mode', 'manual');
  await page.waitForSelector('#fan-percent');
  await setInput(page, '#fan-percent', '40');
  await setInput(page, '#frequency-input', '450');
  await page.click('#apply');
  await page.waitForSelector('#notice', { timeout: 10_000 });
  const i = await info();
  assert.equal(i.autofanspeed, 0);
  assert.equal(i.manualFanSpeed, 40);
  assert.equal(i.frequency, 450);
  await page.waitForFunction("document.querySelector('#frequency')?.textContent?.startsWith('450 MHz')", {
    timeout: 5000,
  });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a refused value shows the daemon's own reason on the page", async () => {
  const { page } = await chrome.page();
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForSelector('#frequency-input');
  await setInput(page, '#frequency-input', '2000');
  await page.click('#apply');
  await page.waitForSelector('#error', { timeout: 10_000 });
  const shown = await text(page, '#error');
  const direct = await fetch(`${base}/api/system`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ frequency: 2000 }),
  });
  const reason = ((await direct.json()) as { message: string }).message;
  assert.equal(direct.status, 400);
  assert.equal(shown, reason);
  assert.match(shown, /575 MHz/);
  assert.equal((await info()).frequency, 450, 'nothing changed');
  await page.screenshot({ path: join(SHOTS, 'refused.png') });
  await page.close();
});

test('with a token set, a write without it is refused and the page asks for it once, then writes', async () => {
  const token = 'dashboard-test-token-0123456789';
  const guarded = await startTestMiner('bitaxe-ultra', { api: { enabled: true, port: 0, token } });
  try {
    const url = guarded.miner.apiUrl!;
    const bare = await fetch(`${url}/api/system`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Origin: url },
      body: JSON.stringify({ manualFanSpeed: 55, autofanspeed: 0 }),
    });
    assert.equal(bare.status, 401, 'even from its own page, the token is needed');
    const { page, errors } = await chrome.page();
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('#fan-mode');
    await page.select('#fan-mode', 'manual');
    await page.waitForSelector('#fan-percent');
    await setInput(page, '#fan-percent', '55');
    await page.click('#apply');
    await page.waitForSelector('#token', { timeout: 10_000 });
    assert.match(await text(page, '#error'), /needs its API token/);
    await page.type('#token', token);
    await page.screenshot({ path: join(SHOTS, 'token-prompt.png') });
    await page.click('section[aria-label="API token"] button[type="submit"]');
    await eventually(() => guarded.miner.boardControl?.getSettings().fanPercent === 55, 10_000, 'the retried write');
    // Kept for the session: the next write goes through without asking.
    await page.click('#identify');
    await page.waitForFunction("document.querySelector('#notice')?.textContent?.includes('Identify')", {
      timeout: 10_000,
    });
    assert.equal(await page.$('#token'), null, 'not asked twice');
    assert.deepEqual(
      errors.filter((e) => !/401/.test(e)),
      [],
      'the only console line is the browser reporting the refused request',
    );
    await page.close();
  } finally {
    await guarded.stop();
  }
});
