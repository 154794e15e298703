// The ladder, the state timelines and the capture timeline on real captures: the real CaptureModel runs in this
// process and answers the real webview bundle (in Debian chromium, under the real CSP) exactly as the analysis
// worker would, through a page binding. The page wears VS Code's Dark Modern colours, and the screenshots it leaves
// in test-results/ (ladder*.png, timeline.png) are the views a user gets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CaptureModel } from '../../src/extension/captureModel';
import { launchChromium } from '../support/chromium';
import { ORIGIN, missingWebview, serveWebview } from './page';
import { sharedCapturesDir } from '../support/shared';

const captures = sharedCapturesDir();
const results = resolve('test-results');
const missing = missingWebview || (!captures ? 'no shared captures (set TCPSCOPE_CAPTURES)' : '');

/** VS Code's Default Dark Modern values for the variables the webview reads. */
const DARK_MODERN: Record<string, string> = {
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-disabledForeground': '#cccccc80',
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-editor-font-size': '13px',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-errorForeground': '#f85149',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-editorInfo-foreground': '#3794ff',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-widget-border': '#313131',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-list-inactiveSelectionBackground': '#37373d',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-list-activeSelectionForeground': '#ffffff',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-editorGroupHeader-tabsBackground': '#181818',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
};

let browser: Browser;
const nonce = randomBytes(18).toString('base64');

type Msg = { kind: string; id?: number; method: string; params: Record<string, any> };

/** What the worker and the editor provider would answer, from a CaptureModel in this process. */
function answer(model: CaptureModel, revealed: Msg['params'][], m: Msg): unknown {
  const p = m.params;
  switch (m.method) {
    case 'capture/get':
      return { state: 'ready', overview: model.overview() };
    case 'flows/get':
      return model.flows(p.offset, p.count, p.sort, String(p.filter ?? ''), p.where);
    case 'flows/locate':
      return { index: model.locateFlow(p.stream, p.sort, String(p.filter ?? ''), p.where) };
    case 'flows/facets':
      return model.flowFacets();
    case 'findings/get':
      return model.findings();
    case 'packets/get':
      return model.packets(p.stream, p.offset, p.count);
    case 'flow/detail':
      return model.details.detail(p.stream);
    case 'flow/ladder':
      return model.details.ladder(p.stream, p.offset, p.count);
    case 'timeline/get':
      return model.details.timeline(p.offset, p.count);
    case 'timeline/locate':
      return { index: model.details.locateTime(p.seconds) };
    case 'timeline/indexOf':
      return { index: model.details.timelineIndexOf(p.stream) };
    case 'timeline/summary':
      return model.details.summary(p.bins);
    case 'flow/reveal':
      revealed.push(p);
      return { revealed: true };
    default:
      throw new Error(`not answered here: ${m.method}`);
  }
}

async function openCapture(name: string): Promise<{ page: Page; model: CaptureModel; revealed: Msg['params'][]; errors: string[] }> {
  const model = new CaptureModel(join(captures!, name), 100_000);
  const revealed: Msg['params'][] = [];
  const errors: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  await serveWebview(page, nonce, name);
  // Replies go back as messages, like VS Code's: the webview cannot tell this host from the real one.
  await page.exposeBinding('__realHost', (_source, m: Msg): Msg[] => {
    if (m.kind === 'notification') {
      if (m.method !== 'ready') return [];
      return [
        { kind: 'notification', method: 'settings/changed', params: { timeFormat: 'relative' } },
        { kind: 'notification', method: 'capture/changed', params: { state: 'ready', overview: model.overview() } },
      ];
    }
    try {
      return [{ kind: 'response', id: m.id, ok: true, result: answer(model, revealed, m) } as unknown as Msg];
    } catch (e) {
      return [{ kind: 'response', id: m.id, ok: false, error: String(e) } as unknown as Msg];
    }
  });
  await page.addInitScript(() => {
    let state: unknown = null;
    const w = window as unknown as Record<string, unknown>;
    const call = w['__realHost'] as (m: unknown) => Promise<unknown[]>;
    w['acquireVsCodeApi'] = () => ({
      postMessage: (m: unknown) => void call(JSON.parse(JSON.stringify(m))).then((replies) => replies.forEach((r) => window.postMessage(r, '*'))),
      getState: () => state,
      setState: (s: unknown) => {
        state = s;
      },
    });
  });
  await page.goto(`${ORIGIN}/`);
  await page.evaluate((theme) => {
    for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
  }, DARK_MODERN);
  await page.locator('#tab-flows').waitFor();
  return { page, model, revealed, errors };
}

async function selectFlow(page: Page, stream: number, arrows: number): Promise<void> {
  await page.locator('#tab-flows').click();
  await page.evaluate((s) => (window as any).tcpscope.flows.select(s, 'api'), stream);
  await page.locator('#detail-title', { hasText: `Stream ${stream}:` }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.ladder-arrow').length === n, arrows);
}

async function shot(page: Page, selector: string, file: string): Promise<void> {
  mkdirSync(results, { recursive: true });
  await page.locator(selector).screenshot({ path: join(results, file) });
}

describe('flow detail and timeline on real captures', { skip: missing || undefined }, () => {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('gen_http_graceful: every packet an arrow, handshake and teardown roles, states as the tracker says', async () => {
    const { page, model, revealed, errors } = await openCapture('gen_http_graceful.pcapng');
    const d = model.details.detail(0);
    assert.equal(d.omitted, 0);
    await selectFlow(page, 0, d.total);
    const roles = await page.locator('.ladder-role').allTextContents();
    assert.deepEqual(roles, ['SYN', 'SYN-ACK', 'final ACK (handshake)', 'FIN (active close)', 'FIN (passive close)', 'last ACK']);
    const finals = await page.locator('.state-table caption').allTextContents();
    assert.deepEqual(
      finals.map((c) => c.replace(/^.*final /, '')),
      d.endpoints.map((e) => e.final),
    );
    // The ladder's Enter reveals the frame the arrow stands for.
    await page.locator('.ladder-arrow').first().focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.classList.contains('revealed'));
    assert.deepEqual(revealed.at(-1), { stream: 0, frameNumber: d.packets.at(-1)!.frameNumber });
    await page.locator('.ladder-arrow').first().focus();
    await shot(page, '.detail', 'ladder.png');

    // Stream 1 carries a 200 kB body: its first and last 40 packets, and the gap between them.
    const long = model.details.detail(1);
    await selectFlow(page, 1, 80);
    assert.match((await page.locator('.ladder-gap-text').textContent()) ?? '', new RegExp(`${long.omitted} packets not shown`));
    await page.locator('.ladder-gap').scrollIntoViewIfNeeded();
    await shot(page, '.ladder-scroll', 'ladder-long-gap.png');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('gen_rst_unread_data: the server aborts with a RST, both ends CLOSED', async () => {
    const { page, model, errors } = await openCapture('gen_rst_unread_data.pcapng');
    const d = model.details.detail(0);
    await selectFlow(page, 0, d.total);
    assert.equal(await page.locator('.ladder-arrow.role-reset').count(), 1);
    assert.match((await page.locator('.ladder-arrow.role-reset').textContent()) ?? '', /RST \(abort\)/);
    assert.deepEqual(await page.locator('.state-table td:first-child', { hasText: '(final)' }).allTextContents(), ['CLOSED (final)', 'CLOSED (final)']);
    await shot(page, '.detail', 'ladder-rst.png');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('gen_syn_backlog_full: the timeline draws every flow by outcome with the accept-queue finding shaded', async () => {
    const { page, model, errors } = await openCapture('gen_syn_backlog_full.pcapng');
    const sum = model.details.summary(16);
    await page.locator('#tab-timeline').click();
    await page.waitForFunction((n) => (window as any).tcpscope.timeline.barsDrawn === n, sum.flows);
    assert.match((await page.locator('.tl-legend').textContent()) ?? '', new RegExp(`unanswered \\(S0, SH\\): ${sum.outcomes.unanswered}`));
    assert.match((await page.locator('.tl-findings').textContent()) ?? '', /tcp\.accept_queue\.overflow/);
    await shot(page, '#timeline-panel', 'timeline.png');
    // A flow's SYN retries in the ladder: the unanswered flows retry with backoff.
    const rows = model.details.timeline(0, 100).rows;
    const index = rows.findIndex((r) => r.outcome === 'unanswered');
    const unanswered = rows[index]!;
    const p = await page.evaluate((i) => (window as any).tcpscope.timeline.barPoint(i), index);
    assert.ok(p);
    await page.mouse.click(p.x, p.y);
    await page.locator('#detail-title', { hasText: `Stream ${unanswered.stream}:` }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.ladder-arrow').length > 0);
    assert.match((await page.locator('.ladder-role').allTextContents()).join(','), /^SYN,SYN retry #1,SYN retry #2/);
    await shot(page, '.detail', 'ladder-syn-retries.png');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
