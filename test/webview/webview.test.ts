// The real webview bundle in headless Debian chromium, against a fake host (fakeHost.ts). No browser download,
// no network: every request the page makes is answered from disk by a route handler or refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { contentSecurityPolicy } from '../../src/extension/webviewHtml';
import type { FakeHostConfig } from './fakeHost';
import { launchChromium } from '../support/chromium';
import { ORIGIN, missingWebview, openWithFakeHost } from './page';
import { sharedCapturesDir } from '../support/shared';
import { CaptureModel } from '../../src/extension/captureModel';

const missing = missingWebview;

let browser: Browser;
const nonce = randomBytes(18).toString('base64');

async function openPage(overrides: Partial<FakeHostConfig> = {}): Promise<Page> {
  // Most tests are about the flows table: they start on its tab (a fresh panel opens on the Overview).
  const config: FakeHostConfig = { flows: 100_000, hostileStreams: [7], fileName: 'hostile <img src=x onerror="window.__pwned=4">.pcapng', initialState: { tab: 'flows' }, ...overrides };
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as unknown as { errors: string[] }).errors = errors;
  await openWithFakeHost(page, nonce, config);
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

  test('a far page that loads late does not take the selection back: End, then Home before it arrives', async () => {
    const page = await openPage({ slowFlowPages: { fromOffset: 1000, ms: 600 } });
    await page.locator(flowRows).first().waitFor();
    await page.locator('.flows .vg').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.locator('#detail-title', { hasText: 'Stream 1:' }).waitFor();
    // Let the last page arrive, and the detail timer that a late callback would have set run out.
    await page.waitForFunction(() => (window as any).__fakeHost.log.filter((m: any) => m.method === 'flows/get' && m.params.offset >= 1000).length > 0);
    await page.waitForTimeout(900);
    assert.match((await page.locator('#detail-title').textContent()) ?? '', /^Stream 1:/);
    assert.equal(await page.locator('.flows .vg').getAttribute('aria-activedescendant'), 'flow-row-1');
    const selected = await page.evaluate(() => (window as any).__fakeHost.log.filter((m: any) => m.method === 'flow/selected').map((m: any) => m.params.stream));
    assert.ok(!selected.includes(99_999), `flow/selected went out for the far row: ${selected.join(', ')}`);
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
    const page = await openPage({ initialState: { sort: { column: 'stream', descending: true }, filter: ':40042', selectedStream: 40042, flowsScrollTop: 0, tab: 'flows' } });
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

  test('the packet list cursor turns a panel on screen to the Flows tab, without taking the focus', async () => {
    const page = await openPage({ initialState: { tab: 'findings' } });
    await page.locator('#findings-panel .finding').first().waitFor();
    const tab = () => page.locator('[role=tab][aria-selected="true"]').textContent();
    // A hidden panel (show false) follows the cursor but keeps its tab.
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 4242, show: false }));
    await page.locator('#detail-title', { hasText: 'Stream 4242:' }).waitFor({ state: 'attached' });
    assert.equal(await tab(), 'Findings');
    const focused = await page.evaluate(() => document.activeElement?.tagName);
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 31337, frameNumber: 31338 + 6, show: true }));
    await page.locator('#tab-flows[aria-selected="true"]').waitFor();
    await page.waitForFunction(() => document.querySelector('.flows .vg-row.selected .vg-cell')?.textContent === '31337');
    await page.waitForFunction(() => document.querySelector('.detail .vg-row.selected .vg-cell')?.textContent === '31344');
    assert.ok(await page.locator('.flows .vg-row.selected').isVisible(), 'the selected row is scrolled into view');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), focused, 'the focus did not move');
    assert.equal(await page.evaluate(() => (window as any).__fakeHost.getState().tab), 'flows');
    assert.deepEqual((page as any).errors, []);
    await page.close();
  });

  test('the tab bar: arrow keys, Home/End, ARIA, and the tab survives getState', async () => {
    const page = await openPage({ initialState: null });
    await page.locator('#tab-overview[aria-selected="true"]').waitFor();
    assert.equal(await page.locator('[role=tablist]').getAttribute('aria-label'), 'Capture views');
    assert.deepEqual(await page.locator('[role=tab]').allTextContents(), ['Overview', 'Flows', 'Timeline', 'Findings']);
    assert.equal(await page.locator('#tab-timeline').getAttribute('aria-controls'), 'timeline-panel');
    assert.equal(await page.locator('#timeline-panel').getAttribute('aria-labelledby'), 'tab-timeline');
    assert.ok(await page.locator('#overview-panel').isVisible());
    const selected = () => page.locator('[role=tab][aria-selected="true"]').textContent();
    await page.locator('#tab-overview').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await selected(), 'Flows');
    assert.ok(await page.locator('#flows-panel').isVisible());
    assert.ok(!(await page.locator('#overview-panel').isVisible()));
    await page.keyboard.press('ArrowRight');
    assert.equal(await selected(), 'Timeline');
    assert.ok(await page.locator('#timeline-panel').isVisible());
    await page.keyboard.press('End');
    assert.equal(await selected(), 'Findings');
    await page.keyboard.press('ArrowRight');
    assert.equal(await selected(), 'Overview', 'wraps around');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selected(), 'Findings');
    // Roving tabindex: only the selected tab is in the Tab order, and it has the focus.
    assert.deepEqual(await page.locator('[role=tab]').evaluateAll((tabs) => tabs.map((t) => (t as HTMLElement).tabIndex)), [-1, -1, -1, 0]);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-findings');
    assert.equal(await page.evaluate(() => (window as any).__fakeHost.getState().tab), 'findings');
    await page.close();
    const again = await openPage({ initialState: { tab: 'findings' } });
    await again.locator('#tab-findings[aria-selected="true"]').waitFor();
    await again.locator('#findings-panel .finding').first().waitFor();
    assert.ok(!(await again.locator('#flows-panel').isVisible()));
    await again.close();
  });

  test('new columns: end states, conn_state, history, retransmissions, RTT, findings; sorted by RTT', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    const labels = await page.locator('.flows [role=columnheader]').allTextContents();
    const col = (label: string) => labels.indexOf(label);
    for (const l of ['Client state', 'Server state', 'Conn', 'History', 'Retrans', 'RTT ms', 'iRTT ms', 'Findings', 'Mid-stream']) assert.ok(col(l) > 0, l);
    assert.equal(await cellText(page, 2, col('Client state')), 'FIN_WAIT_2');
    assert.equal(await cellText(page, 2, col('Server state')), 'CLOSE_WAIT');
    assert.equal(await cellText(page, 2, col('Conn')), 'S2');
    assert.equal(await cellText(page, 2, col('History')), 'ShADadF');
    assert.equal(await cellText(page, 2, col('Findings')), 'tcp.close_wait.excess');
    assert.equal(await cellText(page, 14, col('Retrans')), '1');
    assert.equal(await cellText(page, 4, col('RTT ms')), '-');
    assert.equal(await cellText(page, 3, col('RTT ms')), '0.800');

    await page.getByRole('button', { name: 'RTT ms', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('.flows [aria-sort="ascending"]')?.getAttribute('data-key') === 'rttMs');
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'flows/get' && m.params.sort?.column === 'rttMs'));
    // Smallest RTT first (stream % 97 == 0, and stream % 5 != 4, which has none), ties by stream.
    await page.waitForFunction(() => document.querySelector('.flows .vg-row:not([hidden]) .vg-cell')?.textContent === '0');
    const first = await page.locator(`${flowRows} .vg-cell:first-child`).allTextContents();
    assert.deepEqual(first.slice(0, 3), ['0', '97', '291']);
    assert.equal(await page.evaluate(() => (window as any).__fakeHost.getState().sort.column), 'rttMs');
    await page.close();
  });

  /** Opens a vscode-single-select and picks the option whose label starts with `label`. */
  async function choose(page: Page, id: string, label: string): Promise<void> {
    await page.locator(`#${id}`).click();
    await page.locator(`#${id} li[role=option]`, { hasText: label }).first().click();
  }

  test('each dropdown filter narrows the flows, and the host is asked with where', async () => {
    const page = await openPage();
    await page.locator(flowRows).first().waitFor();
    const lastWhere = () => page.evaluate(() => (window as any).__fakeHost.log.filter((m: any) => m.method === 'flows/get').at(-1).params.where);
    const count = async (text: string) => {
      try {
        await page.waitForFunction((t) => document.querySelector('.count')?.textContent === t, text, { timeout: 5000 });
      } catch {
        assert.fail(`count shows ${JSON.stringify(await page.locator('.count').textContent())}, expected ${JSON.stringify(text)}`);
      }
    };

    // Each dropdown says what it does when nothing is chosen, the endpoint combobox included.
    const faces = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('.flow-filters vscode-single-select')].map((s) => {
          const r = s.shadowRoot!;
          return (r.querySelector('.combobox-input') as HTMLInputElement | null)?.value ?? r.querySelector('.select-face .text')?.textContent ?? '';
        }),
      );
    /** The components render asynchronously (slotchange, then a Lit update): poll, and fail with what they show. */
    const facesAre = async (expected: string[]) => {
      for (let i = 0; i < 100 && JSON.stringify(await faces()) !== JSON.stringify(expected); i++) await page.waitForTimeout(50);
      assert.deepEqual(await faces(), expected);
    };
    const anyFaces = ['Any endpoint', 'Any client state', 'Any server state', 'Any conn_state', 'Any finding'];
    await page.waitForFunction(() => (document.getElementById('filter-endpoint') as any)?.dataset.options?.includes('10.0.0.42'));
    await facesAre(anyFaces);
    await choose(page, 'filter-serverState', 'CLOSE_WAIT (20000)');
    await count('20000 of 100000 flows (server CLOSE_WAIT)');
    assert.deepEqual(await lastWhere(), { serverState: 'CLOSE_WAIT' });
    assert.deepEqual((await page.locator(`${flowRows} .vg-cell:first-child`).allTextContents()).slice(0, 3), ['2', '7', '12']);

    await choose(page, 'filter-clientState', 'FIN_WAIT_2');
    await count('20000 of 100000 flows (client FIN_WAIT_2, server CLOSE_WAIT)');
    await choose(page, 'filter-clientState', 'TIME_WAIT');
    await count('0 of 100000 flows (client TIME_WAIT, server CLOSE_WAIT)');
    await page.locator('#filter-clear').click();
    await count('100000 flows');
    assert.deepEqual(await lastWhere(), {});

    await choose(page, 'filter-connState', 'REJ (20000)');
    await count('20000 of 100000 flows (conn_state REJ)');
    await page.locator('#filter-clear').click();
    await choose(page, 'filter-finding', 'tcp.close_wait.excess');
    await count('19999 of 100000 flows (finding tcp.close_wait.excess)');
    await page.locator('#filter-clear').click();
    await choose(page, 'filter-endpoint', '10.0.0.42 (2)');
    await count('2 of 100000 flows (endpoint 10.0.0.42)');
    assert.deepEqual(await page.locator(`${flowRows} .vg-cell:first-child`).allTextContents(), ['42', '65578']);
    // Typed into the combobox: any address or ip:port.
    await page.locator('#filter-clear').click();
    await page.locator('#filter-endpoint').click();
    await page.locator('#filter-endpoint input').fill('10.0.1.44:40300');
    await page.keyboard.press('Enter');
    await count('1 of 100000 flows (endpoint 10.0.1.44:40300)');
    assert.deepEqual(await page.locator(`${flowRows} .vg-cell:first-child`).allTextContents(), ['300']);
    await facesAre(['10.0.1.44:40300', ...anyFaces.slice(1)]);
    assert.deepEqual((await page.evaluate(() => (window as any).__fakeHost.getState().where)), { endpoint: '10.0.1.44:40300' });
    // Locate honours the conditions: a flow outside them is not found, one inside is selected.
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 300 }));
    await page.waitForFunction(() => document.querySelector('.flows .vg-row.selected .vg-cell')?.textContent === '300');
    const locate = await page.evaluate(() => (window as any).__fakeHost.log.filter((m: any) => m.method === 'flows/locate').at(-1).params.where);
    assert.deepEqual(locate, { endpoint: '10.0.1.44:40300' });
    await page.locator('#filter-clear').click();
    await count('100000 flows');
    await facesAre(anyFaces);
    await page.close();
  });

  test('overview: counts by end state and conn_state; a click filters the flows', async () => {
    const page = await openPage({ initialState: null });
    await page.locator('.analysis .counts button').first().waitFor();
    const groups = await page.locator('.outcome-group h4').allTextContents();
    assert.deepEqual(groups, ['Client state', 'Server state', 'conn_state']);
    assert.match((await page.locator('.outcome-group').nth(1).textContent()) ?? '', /CLOSE_WAIT20000/);
    // Findings ranked by severity, with their explanation.
    const ranked = await page.locator('.ranked-findings > li .severity').allTextContents();
    assert.deepEqual(ranked, ['Error', 'Warning', 'Info']);
    assert.match((await page.locator('.ranked-findings > li').first().textContent()) ?? '', /CLOSE_WAIT.*application leaks sockets/);

    await page.locator('.analysis button[data-filter="serverState"][data-value="CLOSE_WAIT"]').click();
    await page.locator('#tab-flows[aria-selected="true"]').waitFor();
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '20000 of 100000 flows (server CLOSE_WAIT)');
    await page.waitForFunction(() => (document.getElementById('filter-serverState') as any)?.value === 'CLOSE_WAIT');
    await page.locator('#tab-overview').click();
    await page.locator('.analysis button[data-filter="connState"][data-value="REJ"]').click();
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '20000 of 100000 flows (conn_state REJ)');
    assert.deepEqual(await page.evaluate(() => (window as any).__fakeHost.getState().where), { connState: 'REJ' });
    await page.close();
  });

  test('findings tab: every finding with evidence; a flow click selects it in Flows, a frame click reveals it', async () => {
    const page = await openPage({ initialState: { tab: 'findings', filter: ':40042', where: { connState: 'S0' }, sort: { column: 'stream', descending: false }, selectedStream: -1, flowsScrollTop: 0 } });
    const card = page.locator('#findings-panel .finding').first();
    await card.waitFor();
    assert.equal(await page.locator('#findings-panel .finding').count(), 3);
    const text = (await card.textContent()) ?? '';
    for (const part of ['Error', 'tcp.close_wait.excess', '20000 connections left in CLOSE_WAIT', 'application leaks sockets', '192.168.1.1:443', '0.002 s → 99.500 s', 'peersInFinWait2: 4', 'stream 22', 'frame 13']) {
      assert.ok(text.includes(part), `card shows ${part}`);
    }
    // The flow is hidden by the restored filters: they are cleared so it can be shown.
    await card.getByRole('button', { name: 'Select flow 22' }).click();
    await page.locator('#tab-flows[aria-selected="true"]').waitFor();
    await page.waitForFunction(() => document.querySelector('.flows .vg-row.selected .vg-cell')?.textContent === '22');
    await page.locator('#detail-title', { hasText: 'Stream 22:' }).waitFor();
    assert.equal(await page.locator('.count').textContent(), '100000 flows');
    await page.locator('#tab-findings').click();
    await card.getByRole('button', { name: 'Reveal frame 13 in the packet list' }).click();
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'flow/reveal' && m.params.frameNumber === 13 && m.params.stream === 2));
    await card.getByRole('button', { name: 'Show the flows of finding tcp.close_wait.excess' }).click();
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '19999 of 100000 flows (finding tcp.close_wait.excess)');
    await page.close();
  });

  test('findings and history from the capture show as text', async () => {
    const page = await openPage({ initialState: { tab: 'findings' } });
    const hostileCard = page.locator('#findings-panel .finding', { hasText: 'stream 7' });
    await hostileCard.waitFor();
    const text = (await hostileCard.textContent()) ?? '';
    for (const part of ['<i>tcp.evil</i>', '<script>window.__pwned=6</script> stream 7', '<b>bold</b> <img src=x onerror="window.__pwned=8">', '<img src=x onerror="window.__pwned=5">:80', '<u>k</u>: <u>v</u>']) {
      assert.ok(text.includes(part), `shows ${part} verbatim`);
    }
    assert.match((await page.locator('.ranked-findings').textContent()) ?? '', /<script>window\.__pwned=6<\/script>/);
    await page.locator('#tab-flows').click();
    await page.locator(flowRows).first().waitFor();
    const labels = await page.locator('.flows [role=columnheader]').allTextContents();
    assert.equal(await cellText(page, 7, labels.indexOf('History')), '<b>ShA</b><script>window.__pwned=7</script>');
    assert.equal(await cellText(page, 7, labels.indexOf('Findings')), '<i>tcp.evil</i>');
    await choose(page, 'filter-finding', '<i>tcp.evil</i> (1)');
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '1 of 100000 flows (finding <i>tcp.evil</i>)');
    await page.waitForTimeout(200);
    const dom = await page.evaluate(() => ({
      pwned: (window as any).__pwned,
      injected: document.querySelectorAll('img, b, i, u, iframe').length,
      scripts: document.querySelectorAll('script').length,
    }));
    assert.deepEqual(dom, { pwned: undefined, injected: 0, scripts: 1 });
    await page.close();
  });

  test('screenshots of the Flows and Findings tabs with a real capture', async (t) => {
    const captureFile = sharedCapturesDir() && join(sharedCapturesDir()!, 'gen_close_wait_leak.pcap');
    if (!captureFile || !existsSync(captureFile)) return t.skip('no shared capture corpus');
    const model = new CaptureModel(captureFile, 100000);
    const flowsList = model.flows(0, 500, { column: 'stream', descending: false }, '').rows;
    const capture = { overview: model.overview(), flows: flowsList, packets: { 3: model.packets(3, 0, 500).rows }, facets: model.flowFacets(), findings: model.findings() };
    const page = await openPage({ flows: 0, hostileStreams: [], fileName: 'gen_close_wait_leak.pcap', capture, initialState: { tab: 'flows', selectedStream: 3 } });
    await page.locator('#detail-title', { hasText: 'Stream 3:' }).waitFor();
    await page.locator('.detail .vg-row:not([hidden])').first().waitFor();
    const labels = await page.locator('.flows [role=columnheader]').allTextContents();
    assert.equal(await cellText(page, 3, labels.indexOf('Server state')), 'CLOSE_WAIT');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/webview-flows.png' });
    await page.locator('#tab-findings').click();
    await page.locator('#findings-panel .finding.error').first().waitFor();
    assert.match((await page.locator('#findings-panel .finding').first().textContent()) ?? '', /tcp\.close_wait\.excess/);
    await page.screenshot({ path: 'test-results/webview-findings.png' });
    await page.locator('#tab-overview').click();
    await page.locator('.analysis .counts button').first().waitFor();
    await page.screenshot({ path: 'test-results/webview-overview.png', fullPage: true });
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
