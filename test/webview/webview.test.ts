// The real webview bundle in headless Debian chromium, against a fake host (fakeHost.ts). No browser download,
// no network: every request the page makes is answered from disk by a route handler or refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { contentSecurityPolicy, webviewHtml } from '../../src/extension/webviewHtml';
import { installFakeHost, type FakeHostConfig } from './fakeHost';
import { chromiumPath, launchChromium } from '../support/chromium';

const ORIGIN = 'http://tcpscope.test';
const dist = resolve(process.env.TCPSCOPE_DIST || 'dist', 'webview');
const missing = !existsSync(chromiumPath)
  ? `no chromium at ${chromiumPath} (apt-get install -y chromium)`
  : !existsSync(join(dist, 'main.js'))
    ? `no webview bundle in ${dist} (npm run build)`
    : '';

let browser: Browser;
const nonce = randomBytes(18).toString('base64');

async function openPage(overrides: Partial<FakeHostConfig> = {}): Promise<Page> {
  const config: FakeHostConfig = { flows: 100_000, hostileStreams: [7], fileName: 'hostile <img src=x onerror="window.__pwned=4">.pcapng', ...overrides };
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as unknown as { errors: string[] }).errors = errors;
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) return route.abort();
    if (url.pathname === '/') {
      const html = webviewHtml({ cspSource: ORIGIN, nonce, scriptUri: `${ORIGIN}/main.js`, styleUri: `${ORIGIN}/main.css`, title: config.fileName });
      return route.fulfill({ contentType: 'text/html', body: html });
    }
    const file = join(dist, url.pathname.replace(/^\/+/, ''));
    if (!file.startsWith(dist) || !existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript', body: readFileSync(file) });
  });
  await page.addInitScript({ content: `(${installFakeHost.toString()})(${JSON.stringify(config)});` });
  await page.goto(`${ORIGIN}/`);
  return page;
}

const flowRows = '.flows .vg-row:not([hidden])';
const cellText = (page: Page, stream: number, col: number) =>
  page.locator(`.flows .vg-row:not([hidden])`).filter({ has: page.locator(`.vg-cell:first-child`, { hasText: new RegExp(`^${stream}$`) }) }).locator('.vg-cell').nth(col).textContent();

describe('webview in chromium', { skip: missing || undefined }, () => {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('says ready first, then shows the overview and the flows', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    const log = await page.evaluate(() => (window as any).__fakeHost.log.map((m: any) => m.method));
    assert.equal(log[0], 'ready');
    assert.match((await page.locator('.overview').textContent()) ?? '', /TCP flows\s*100000/);
    assert.equal(await page.locator('.count').textContent(), '100000 flows');
    assert.equal(await cellText(page, 0, 1), '10.0.0.0:40000');
    assert.deepEqual((page as any).errors, []);
    await page.close();
  });

  test('renders a bounded number of rows for 100k flows and pages as it scrolls', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    const rowsInDom = await page.locator('.flows .vg-row').count();
    assert.ok(rowsInDom > 10 && rowsInDom < 80, `${rowsInDom} row elements`);
    assert.equal(await page.locator('.flows .vg').getAttribute('aria-rowcount'), '100001');
    // Jump to the middle: rows there must come from a fetched page, not from pre-rendered DOM.
    await page.locator('.flows .vg-viewport').evaluate((v) => (v.scrollTop = 50_000 * 22));
    await page.waitForFunction(() => [...document.querySelectorAll('.flows .vg-row:not([hidden]) .vg-cell:first-child')].some((c) => c.textContent === '50000'));
    assert.ok((await page.locator('.flows .vg-row').count()) < 80);
    const requested = await page.evaluate(() => (window as any).__fakeHost.log.filter((m: any) => m.method === 'flows/get').map((m: any) => m.params.count));
    assert.ok(requested.every((c: number) => c <= 500), 'paged fetches only');
    await page.close();
  });

  test('a million flows: bounded DOM, the capped scrollbar still reaches every row', async () => {
    const page = await openPage({ flows: 1_000_000 });
    await page.locator(flowRows).first().waitFor();
    const spacer = await page.locator('.flows .vg-spacer').evaluate((e) => e.getBoundingClientRect().height);
    assert.ok(spacer <= 8_000_000, `spacer ${spacer}px`);
    await page.locator('.flows .vg').focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector('.flows .vg-row.selected .vg-cell')?.textContent === '999999');
    assert.ok((await page.locator('.flows .vg-row').count()) < 80);
    // Scrolling by wheel through the middle shows the matching rows, in order, with no gaps.
    await page.locator('.flows .vg-viewport').evaluate((v) => (v.scrollTop = v.scrollHeight / 2));
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('.flows .vg-row:not([hidden]) .vg-cell:first-child')].map((c) => Number(c.textContent));
      return cells.length > 10 && cells.every((n) => Number.isFinite(n)) && Math.abs(cells[0]! - 500_000) < 100;
    });
    await page.close();
  });

  test('filters flows by text', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    await page.locator('#flow-filter input').fill(':40042');
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '5 of 100000 flows');
    assert.equal(await page.locator(flowRows).count(), 5);
    const streams = await page.locator(`${flowRows} .vg-cell:first-child`).allTextContents();
    assert.deepEqual(streams, ['42', '20042', '40042', '60042', '80042']);
    await page.close();
  });

  test('moves with the keyboard, reveals on Enter, sorts from the header', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    const grid = page.locator('.flows .vg');
    await grid.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('.flows .vg')?.getAttribute('aria-activedescendant') === 'flow-row-2');
    assert.equal(await page.locator('#flow-row-2').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector('.flows .vg')?.getAttribute('aria-activedescendant') === 'flow-row-99999');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'flow/reveal' && m.params.stream === 1));
    // The detail area lists the selected flow's packets.
    await page.locator('#detail-title', { hasText: 'Stream 1:' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.detail .vg-row:not([hidden])').length === 5);

    await page.getByRole('button', { name: 'Packets', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('.flows [aria-sort="ascending"]')?.getAttribute('data-key') === 'packets');
    // The header updates before the page request goes out: wait for the request, then check what it asked.
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'flows/get' && m.params.sort?.column === 'packets'));
    const sorted = await page.evaluate(() => (window as any).__fakeHost.log.filter((m: any) => m.method === 'flows/get').at(-1).params.sort);
    assert.deepEqual(sorted, { column: 'packets', descending: false });
    for (const label of await page.locator('[role=columnheader]').allTextContents()) assert.ok(label.length > 0);
    await page.close();
  });

  test('shows capture text as text: no markup, no script runs', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    assert.equal(await cellText(page, 7, 1), '<img src=x onerror="window.__pwned=1">');
    assert.equal(await cellText(page, 7, 2), '<script>window.__pwned=2</script>');
    assert.match((await page.locator('h1').textContent()) ?? '', /hostile <img src=x/);
    assert.match((await page.locator('.errors').textContent()) ?? '', /cut <b>here<\/b> <img/);
    await page.locator('#flow-row-7').click();
    await page.locator('#detail-title', { hasText: '<script>' }).waitFor();
    await page.waitForTimeout(200);
    const dom = await page.evaluate(() => ({
      pwned: (window as any).__pwned,
      imgs: document.querySelectorAll('img').length,
      bold: document.querySelectorAll('b').length,
      scripts: document.querySelectorAll('script').length,
    }));
    assert.deepEqual(dom, { pwned: undefined, imgs: 0, bold: 0, scripts: 1 });
    await page.close();
  });

  test('runs under a strict CSP with a nonce, and the CSP holds', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.equal(csp, contentSecurityPolicy(ORIGIN, nonce));
    assert.doesNotMatch(csp!, /unsafe-inline|unsafe-eval|https?:\/\/(?!tcpscope\.test)|\*/);
    assert.match(csp!, /default-src 'none'/);
    assert.match(csp!, new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, '\\$&')}'(;|$)`));
    assert.equal(await page.locator('script').evaluate((s) => (s as HTMLScriptElement).nonce), nonce);
    // The bundle itself (lit's styles included) must not need anything the policy forbids.
    assert.deepEqual(await page.evaluate(() => (window as any).__fakeHost.violations), []);
    // An inline script without the nonce is refused.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.append(s);
    });
    await page.waitForFunction(() => (window as any).__fakeHost.violations.length > 0);
    assert.equal(await page.evaluate(() => (window as any).__inline), undefined);
    await page.close();
  });

  test('restores filter and selection from getState', async () => {
    const page = await openPage({ initialState: { sort: { column: 'stream', descending: true }, filter: ':40042', selectedStream: 40042, flowsScrollTop: 0 } });
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '5 of 100000 flows');
    assert.equal(await page.locator('#flow-filter input').inputValue(), ':40042');
    assert.deepEqual(await page.locator(`${flowRows} .vg-cell:first-child`).allTextContents(), ['80042', '60042', '40042', '20042', '42']);
    await page.locator('#detail-title', { hasText: 'Stream 40042:' }).waitFor();
    assert.equal(await page.locator('.flows .vg-row.selected .vg-cell').first().textContent(), '40042');
    await page.close();
  });

  test('follows the packet list cursor (selection/changed)', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 31337, frameNumber: 31338 + 6 }));
    await page.locator('#detail-title', { hasText: 'Stream 31337:' }).waitFor();
    await page.waitForFunction(() => document.querySelector('.flows .vg-row.selected .vg-cell')?.textContent === '31337');
    await page.waitForFunction(() => document.querySelector('.detail .vg-row.selected .vg-cell')?.textContent === '31344');
    await page.close();
  });

  test('an unusable file says why and offers Reopen with', async () => {
    const page = await openPage({ failed: { reason: 'not a pcap or pcapng file (magic 0x7f454c46)', unusable: true } });
    await page.locator('#failure').waitFor();
    assert.match((await page.locator('#failure').textContent()) ?? '', /cannot be opened as a capture: not a pcap/);
    await page.getByRole('button', { name: 'Reopen with…' }).click();
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'capture/reopenWith'));
    await page.close();
  });
});
