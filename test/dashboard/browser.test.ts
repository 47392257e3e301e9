import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveChromium } from '../support/chromium';
import { type Started, sendLoad, startLocalMode, stopLocalMode } from '../support/local-mode';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
/** Generous: CI's machine is as busy as this one or busier. */
const WAIT = { timeout: 60_000 };

let local: Started | undefined;
let browser: Browser | undefined;
/** Events the load put on the stream that the aggregates must count once applied. */
let loaded = 0;

beforeAll(async () => {
  // CHROMIUM_PATH, else the machine's Chromium, else the headless one of the npm package @sparticuz/chromium.
  const chromiumLaunch = await resolveChromium();
  local = await startLocalMode(['--no-load']);
  const { summary } = await sendLoad(local, [
    '--scenario',
    'clickstream',
    '--keys',
    '30',
    '--rate',
    '500',
    '--count',
    '1500',
  ]);
  loaded = summary.accepted - summary.poison;
  browser = await chromium.launch({
    executablePath: chromiumLaunch.executablePath,
    env: { ...process.env, ...chromiumLaunch.env },
    // As root in a container, with no network beyond loopback: no sandbox, no background fetches.
    args: [
      ...new Set([
        ...chromiumLaunch.args,
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ]),
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (local !== undefined) await stopLocalMode(local);
});

interface TopEntry {
  value: string;
  count: number;
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${local!.dashboard}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

interface TopKTable {
  windowStart: string;
  group: string;
  rows: TopEntry[];
}

/**
 * Data settled: every event of the load is in by_type (which counts every event once), and every
 * page view is in pages (its items are written apart from by_type's). Local mode's put → aggregate
 * lag is seconds, more on a busy machine: polled, never a fixed sleep.
 */
async function waitForSettledLoad(): Promise<void> {
  const from = new Date(Date.now() - 15 * 60_000).toISOString();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const to = new Date(Date.now() + 120_000).toISOString();
    const range = `window=1m&from=${from}&to=${to}`;
    const byType = await api<{ items: { group: { type: string }; measures: { count: number } }[] }>(
      `/api/aggregates?aggregate=by_type&${range}`,
    );
    const pages = await api<{ items: { measures: { views: number } }[] }>(`/api/aggregates?aggregate=pages&${range}`);
    const events = byType.items.reduce((s, i) => s + i.measures.count, 0);
    const pageViews = byType.items.reduce((s, i) => s + (i.group.type === 'page_view' ? i.measures.count : 0), 0);
    const views = pages.items.reduce((s, i) => s + i.measures.views, 0);
    if (events === loaded && views === pageViews && views > 0) return;
    if (Date.now() > deadline) {
      throw new Error(`not settled: ${events} of ${loaded} events in by_type, ${views} of ${pageViews} views in pages`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What a top-K table shows: its window, its group ('' = all) and its rows, read at one moment. */
async function readTopK(page: Page, id: string): Promise<TopKTable> {
  // A string runs in the page, where the DOM is; this file is type-checked for Node.
  return page.evaluate<TopKTable>(`(() => {
    const table = document.getElementById(${JSON.stringify(id)});
    return {
      windowStart: table.dataset.windowStart,
      group: table.dataset.group,
      rows: [...table.querySelectorAll('tbody tr')].map((tr) => ({
        value: tr.querySelector('td.value').textContent,
        count: Number(tr.querySelector('td.count').textContent.replace(/,/g, '')),
      })),
    };
  })()`);
}

describe('dashboard in a real browser', () => {
  it('draws every declared measure the way it reads, with the same top-K as the API', async () => {
    // A locale of its own: a headless shell under LANG=C.UTF-8 reports en-US@posix, which Intl refuses.
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(local!.dashboard);

    // The default declaration is by_type: its count is a line with points.
    await page.waitForFunction("document.getElementById('aggregate').value === 'by_type'", null, WAIT);
    await page.waitForFunction("Number(document.getElementById('measure-count')?.dataset.points) > 0", null, WAIT);
    expect(await page.locator('#measure-count canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#measure-count').getAttribute('data-op')).toBe('count');
    expect(await page.locator('#topk-top_keys').count()).toBe(1);

    // Local mode: the fault control is there, and shows the rate in force.
    expect(await page.locator('#faults').isVisible()).toBe(true);
    expect(await page.locator('#fault-rate').isVisible()).toBe(true);
    await page.waitForFunction("document.getElementById('faults').dataset.rate !== undefined", null, WAIT);
    const faults = await api<{ dynamodbWriteFailRate: number }>('/api/local/faults');
    expect(Number(await page.locator('#faults').getAttribute('data-rate'))).toBe(faults.dynamodbWriteFailRate);

    // Picking a declaration reads its range afresh: once the load is in, the page and the API agree.
    await waitForSettledLoad();

    // The clickstream's pages, per minute: a p50–p99 band for latency, a ranked table of referrers.
    await page.selectOption('#aggregate', 'pages');
    await page.selectOption('#window', '1m');
    await page.waitForFunction(
      `(() => {
        const panel = document.getElementById('measure-latency');
        return panel !== null && Number(panel.dataset.points) > 0 && panel.dataset.band === 'p50-p99' &&
          panel.querySelector('canvas') !== null;
      })()`,
      null,
      WAIT,
    );
    await page.waitForFunction("document.querySelectorAll('#topk-referrers tbody tr').length > 0", null, WAIT);
    expect(await page.locator('#measure-latency').getAttribute('data-op')).toBe('quantiles');
    expect(await page.locator('#measure-views canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#measure-users canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#health').getAttribute('data-state')).toBe('ok');
    expect(Number(await page.locator('#poison').textContent())).toBeGreaterThanOrEqual(0);

    // All groups: the table merges the groups' lists of the window it names (counts added, top k kept).
    const merged = await readTopK(page, 'topk-referrers');
    expect(merged.group).toBe('');
    const windowEnd = new Date(Date.parse(merged.windowStart) + 60_000).toISOString();
    const range = `aggregate=pages&window=1m&from=${merged.windowStart}&to=${windowEnd}`;
    const all = await api<{ items: { group: Record<string, string | null>; measures: { referrers: TopEntry[] } }[] }>(
      `/api/aggregates?${range}`,
    );
    const added = new Map<string, number>();
    for (const item of all.items) {
      for (const e of item.measures.referrers) added.set(e.value, (added.get(e.value) ?? 0) + e.count);
    }
    const expected = [...added.entries()]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, 10);
    expect(merged.rows).toEqual(expected);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // One group (the busiest, listed first): the table is that group's list as the API answers it.
    const option = (await page.locator('#group option').nth(1).getAttribute('value'))!;
    await page.selectOption('#group', option);
    await page.waitForFunction(
      `document.getElementById('topk-referrers').dataset.group === ${JSON.stringify(option)}`,
      null,
      WAIT,
    );
    const one = await readTopK(page, 'topk-referrers');
    const [pagePath] = JSON.parse(option) as [string];
    const groupEnd = new Date(Date.parse(one.windowStart) + 60_000).toISOString();
    const single = await api<{
      items: { group: Record<string, string | null>; measures: { referrers: TopEntry[] } }[];
    }>(
      `/api/aggregates?aggregate=pages&window=1m&from=${one.windowStart}&to=${groupEnd}` +
        `&attributes.page=${encodeURIComponent(pagePath)}`,
    );
    expect(single.items).toHaveLength(1);
    expect(single.items[0].group).toEqual({ 'attributes.page': pagePath });
    expect(one.rows).toEqual(single.items[0].measures.referrers);
    expect(Number(await page.locator('#measure-latency').getAttribute('data-points'))).toBeGreaterThan(0);

    expect(errors).toEqual([]);
  }, 240_000);
});
