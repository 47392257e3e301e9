import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, sendLoad, startLocalMode, stopLocalMode } from '../support/local-mode';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

let local: Started | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}. The browser test needs one: on Debian or Ubuntu run "sudo apt-get install chromium" ` +
        '(.ci/run does this in CI), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  local = await startLocalMode(['--no-load']);
  await sendLoad(local, ['--scenario', 'clickstream', '--keys', '30', '--rate', '500', '--count', '1500']);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in a container, with no network beyond loopback: no sandbox, no background fetches.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (local !== undefined) await stopLocalMode(local);
});

describe('dashboard in a real browser', () => {
  it('draws the charts with data and shows the same top keys as the API', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(local!.dashboard);
    // Strings run in the page, where the DOM is; this file is type-checked for Node.
    await page.waitForFunction("Number(document.getElementById('counts').dataset.points) > 0", null, {
      timeout: 30_000,
    });
    await page.waitForFunction("document.querySelectorAll('#top tbody tr').length > 0", null, { timeout: 30_000 });
    // Data settled (the load is over): one more poll so the table and the API read the same.
    await page.waitForTimeout(2_500);

    expect(await page.locator('#health').getAttribute('data-state')).toBe('ok');
    expect(await page.locator('#counts canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#sums canvas').count()).toBeGreaterThan(0);
    expect(Number(await page.locator('#poison').textContent())).toBeGreaterThanOrEqual(0);

    const type = await page.locator('#type').inputValue();
    const rows: string[][] = [];
    for (const tr of await page.locator('#top tbody tr').all()) rows.push(await tr.locator('td').allTextContents());
    const api = (await (
      await fetch(`${local!.dashboard}/api/top?type=${type}&minutes=5&by=count&limit=10`)
    ).json()) as {
      items: { key: string; count: number }[];
    };
    expect(rows.map((r) => [r[0], Number(r[1].replace(/,/g, ''))])).toEqual(api.items.map((i) => [i.key, i.count]));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
