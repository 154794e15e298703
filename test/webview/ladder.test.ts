// The flow detail (ladder diagram, endpoint state timelines) and the capture timeline: the real webview bundle in
// Debian chromium against the fake host (fakeHost.ts generates the flows: stream % 4 picks the story).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { FakeHostConfig } from './fakeHost';
import { launchChromium } from '../support/chromium';
import { missingWebview, openWithFakeHost } from './page';

const missing = missingWebview;

let browser: Browser;
const nonce = randomBytes(18).toString('base64');

/** Distinct colours for the theme variables the diagrams use, so a test can tell which one an element got. */
const THEME: Record<string, string> = {
  '--vscode-foreground': 'rgb(20, 20, 20)',
  '--vscode-editor-background': 'rgb(255, 255, 255)',
  '--vscode-charts-green': 'rgb(0, 128, 0)',
  '--vscode-charts-red': 'rgb(255, 0, 0)',
  '--vscode-charts-purple': 'rgb(128, 0, 128)',
  '--vscode-charts-orange': 'rgb(255, 140, 0)',
  '--vscode-charts-blue': 'rgb(0, 0, 255)',
  '--vscode-charts-yellow': 'rgb(200, 200, 0)',
  '--vscode-errorForeground': 'rgb(230, 0, 50)',
  '--vscode-editorWarning-foreground': 'rgb(190, 120, 0)',
  '--vscode-focusBorder': 'rgb(0, 120, 212)',
  '--vscode-list-inactiveSelectionBackground': 'rgb(55, 55, 61)',
};

async function openPage(overrides: Partial<FakeHostConfig> = {}): Promise<Page> {
  // The panel opens on the Overview tab; these tests are about the Flows tab.
  const config: FakeHostConfig = { flows: 100_000, hostileStreams: [7], fileName: 'ladder.pcapng', initialState: { tab: 'flows' }, ...overrides };
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => (errors.push(String(e)), console.log('PAGEERROR', String(e))));
  (page as unknown as { errors: string[] }).errors = errors;
  await openWithFakeHost(page, nonce, config);
  // VS Code sets its theme as variables on <html>; CSSOM writes are not inline markup, the CSP allows them.
  await page.evaluate((theme) => {
    for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
  }, THEME);
  await page.locator('.flows .vg-row:not([hidden])').first().waitFor({ state: 'attached' });
  return page;
}

const log = (page: Page, method: string) => page.evaluate((m) => (window as any).__fakeHost.log.filter((x: any) => x.method === m).map((x: any) => x.params), method);

/** Opens the Flows tab and selects a flow through the real selection path (flows/locate + the grid). */
async function showFlow(page: Page, stream: number, arrows: number): Promise<void> {
  await page.locator('#tab-flows').click();
  await page.evaluate(async (s) => {
    const t = (window as any).tcpscope;
    await t.flows.select(s, 'api');
  }, stream);
  await page.locator('#detail-title', { hasText: `Stream ${stream}:` }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.ladder-arrow').length === n, arrows);
}

const arrowTexts = (page: Page) => page.locator('.ladder-arrow').evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll('text')].map((t) => t.textContent).join(' | ')));

describe('ladder and timeline in chromium', { skip: missing || undefined }, () => {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('handshake, data and FIN teardown: one arrow per packet, roles, relative numbers, state changes', async () => {
    const page = await openPage();
    await showFlow(page, 4, 10);
    const texts = await arrowTexts(page);
    assert.equal(texts.length, 10);
    assert.match(texts[0]!, /^#5 \| \+0\.000000 \| SYN {2}SYN(?: {2}| \| )Seq=0 Len=0 Win=512 \| SYN_SENT$/);
    assert.match(texts[1]!, /SYN-ACK {2}SYN, ACK(?: {2}| \| )Seq=0 Ack=1 Len=0/);
    assert.match(texts[2]!, /final ACK \(handshake\) {2}ACK(?: {2}| \| )Seq=1 Ack=1 Len=0 .*\| ESTABLISHED \| ESTABLISHED$/);
    assert.match(texts[3]!, /^#14 \| \+0\.003000 \| PSH, ACK(?: {2}| \| )Seq=1 Ack=1 Len=100 Win=512$/);
    assert.match(texts[7]!, /FIN \(active close\) {2}FIN, ACK(?: {2}| \| )Seq=201 Ack=1 Len=0 .*\| FIN_WAIT_1$/);
    assert.match(texts[8]!, /FIN \(passive close\) {2}FIN, ACK(?: {2}| \| )Seq=1 Ack=202 .*\| FIN_WAIT_2 \| CLOSE_WAIT → LAST_ACK$/);
    assert.match(texts[9]!, /last ACK {2}ACK(?: {2}| \| )Seq=202 Ack=2 .*\| TIME_WAIT \| CLOSED$/);
    // Direction: the SYN goes right (client column on the left), the SYN-ACK comes back.
    const xs = await page.locator('.ladder-arrow .ladder-line').evaluateAll((ls) => ls.slice(0, 2).map((l) => [Number(l.getAttribute('x1')), Number(l.getAttribute('x2'))]));
    assert.ok(xs[0]![0]! < xs[0]![1]! && xs[1]![0]! > xs[1]![1]!, JSON.stringify(xs));
    assert.match((await page.locator('.ladder-arrow').nth(7).getAttribute('aria-label')) ?? '', /^Frame 26; \+0\.007000 s; client to server; FIN, ACK; FIN \(active close\); seq 201, ack 1, length 0; client enters FIN_WAIT_1$/);
    // Both endpoints' state timelines beside it.
    assert.match((await page.locator('.state-table[data-role=client] caption').textContent()) ?? '', /final TIME_WAIT/);
    assert.match((await page.locator('.state-table[data-role=server] caption').textContent()) ?? '', /final CLOSED/);
    const clientStates = await page.locator('.state-table[data-role=client] tbody td:first-child').allTextContents();
    assert.deepEqual(clientStates, ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT (final)']);
    assert.equal(await page.locator('.state-bands [data-state=TIME_WAIT]').count(), 1);
    assert.match((await page.locator('.state-bands').getAttribute('aria-label')) ?? '', /^client CLOSED to SYN_SENT at frame 5 .* final TIME_WAIT; time in state: .*TIME_WAIT 1\.\d+ s\. server LISTEN/);
    assert.match((await page.locator('.flow-detail-summary').textContent()) ?? '', /handshake SYN #5 → SYN-ACK #8 \(\+1\.000 ms\) → ACK #11/);
    assert.deepEqual((page as any).errors, []);
    await page.close();
  });

  test('in a narrow panel (the packet list beside it) every label stays inside the diagram, nothing scrolls sideways', async () => {
    const page = await openPage();
    await page.setViewportSize({ width: 540, height: 900 });
    await showFlow(page, 4, 10);
    const fit = await page.evaluate(() => {
      const svg = document.querySelector('svg.ladder-svg') as SVGSVGElement;
      const width = Number(svg.getAttribute('width'));
      const box = (t: Element) => (t as SVGTextElement).getBBox();
      const out = [...svg.querySelectorAll('.ladder-state, .ladder-head-sub, .ladder-head')].filter((t) => {
        const b = box(t);
        return b.x < 0 || b.x + b.width > width;
      });
      // A client state change never runs into the frame time on its left.
      const overlaps = [...svg.querySelectorAll('.ladder-arrow')].filter((g) => {
        const time = g.querySelector('.ladder-time');
        const state = [...g.querySelectorAll('.ladder-state')].find((t) => t.getAttribute('text-anchor') === 'end');
        return time && state && box(state).x < box(time).x + box(time).width + 4;
      });
      const scroll = document.querySelector('.ladder-scroll') as HTMLElement;
      return { width, out: out.map((t) => t.textContent), overlaps: overlaps.length, scrolls: scroll.scrollWidth > scroll.clientWidth, states: [...svg.querySelectorAll('.ladder-state')].map((t) => t.textContent) };
    });
    assert.ok(fit.states.includes('CLOSE_WAIT → LAST_ACK'), JSON.stringify(fit.states));
    assert.deepEqual(fit.out, [], `labels outside the ${fit.width} px diagram`);
    assert.equal(fit.overlaps, 0);
    assert.equal(fit.scrolls, false, `a ${fit.width} px diagram in a 540 px page`);
    assert.deepEqual((page as any).errors, []);
    await page.close();
  });

  test('retransmission, dup ACK and RST are marked in colour and in words', async () => {
    const page = await openPage();
    await showFlow(page, 5, 10);
    const retrans = page.locator('.ladder-arrow').nth(5);
    assert.match((await retrans.getAttribute('class')) ?? '', /an-error/);
    assert.match((await retrans.locator('.ladder-analysis').textContent()) ?? '', /\[retransmission\]/);
    assert.equal(await retrans.locator('.ladder-line').evaluate((l) => getComputedStyle(l).stroke), 'rgb(230, 0, 50)');
    const dup = page.locator('.ladder-arrow').nth(6);
    assert.match((await dup.getAttribute('class')) ?? '', /an-warning/);
    assert.match((await dup.textContent()) ?? '', /\[dup ACK\]/);
    assert.equal(await dup.locator('.ladder-line').evaluate((l) => getComputedStyle(l).stroke), 'rgb(190, 120, 0)');
    // A plain data arrow keeps the foreground colour; the handshake is green.
    assert.equal(await page.locator('.ladder-arrow').nth(3).locator('.ladder-line').evaluate((l) => getComputedStyle(l).stroke), 'rgb(20, 20, 20)');
    assert.equal(await page.locator('.ladder-arrow').nth(0).locator('.ladder-line').evaluate((l) => getComputedStyle(l).stroke), 'rgb(0, 128, 0)');

    await showFlow(page, 6, 8);
    const rst = page.locator('.ladder-arrow').last();
    assert.match((await rst.getAttribute('class')) ?? '', /role-reset/);
    assert.match((await rst.locator('.ladder-role').textContent()) ?? '', /^RST \(abort\)$/);
    assert.equal(await rst.locator('.ladder-line').evaluate((l) => getComputedStyle(l).stroke), 'rgb(255, 0, 0)');
    assert.match((await rst.textContent()) ?? '', /CLOSED/);
    await page.close();
  });

  test('arrow keys move between arrows, Enter and a click reveal the frame', async () => {
    const page = await openPage();
    await showFlow(page, 4, 10);
    assert.deepEqual(await page.locator('.ladder-arrow').evaluateAll((gs) => gs.map((g) => g.getAttribute('tabindex')).filter((t) => t === '0').length), 1);
    await page.locator('.ladder-arrow').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-frame')), String(4 + 1 + 3 * 3));
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'flow/reveal' && m.params.frameNumber === 11));
    assert.deepEqual((await log(page, 'flow/reveal')).at(-1), { stream: 4, frameNumber: 11 });
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-frame')), String(4 + 1 + 9 * 3));
    // Roving tabindex: the focused arrow is the group's one tab stop.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('tabindex')), '0');
    await page.locator('.ladder-arrow').nth(7).click();
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'flow/reveal' && m.params.frameNumber === 26));
    assert.match((await page.locator('.ladder-arrow').nth(7).getAttribute('class')) ?? '', /revealed/);
    await page.close();
  });

  test('the packet list cursor marks its arrow in the ladder (selection/changed)', async () => {
    const page = await openPage();
    await page.locator('.flows .vg-row:not([hidden])').first().waitFor({ state: 'attached' });
    // Frame 20 is packet 5 of stream 4: the flow is selected, its ladder drawn, then the arrow marked.
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 4, frameNumber: 20 }));
    await page.waitForFunction(() => document.querySelector('.ladder-arrow.revealed')?.getAttribute('data-frame') === '20');
    assert.equal(await page.locator('.ladder-arrow.revealed').count(), 1);
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 4, frameNumber: 26 }));
    await page.waitForFunction(() => document.querySelector('.ladder-arrow.revealed')?.getAttribute('data-frame') === '26');
    assert.equal(await page.locator('.ladder-arrow.revealed').count(), 1);
    await page.close();
  });

  test('a long flow shows its first and last 40 packets and pages through the gap', async () => {
    const page = await openPage();
    await showFlow(page, 3, 80);
    assert.match((await page.locator('.ladder-gap-text').textContent()) ?? '', /… 220 packets not shown \(packets 41–260 of the flow\) …/);
    assert.equal(await page.locator('.ladder-arrow').nth(39).getAttribute('data-index'), '39');
    assert.equal(await page.locator('.ladder-arrow').nth(40).getAttribute('data-index'), '260');
    assert.match((await page.locator('.ladder-arrow').last().textContent()) ?? '', /last ACK/);
    await page.getByRole('button', { name: 'Show next 40' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.ladder-arrow').length === 120);
    assert.match((await page.locator('.ladder-gap-text').textContent()) ?? '', /180 packets not shown/);
    assert.deepEqual((await log(page, 'flow/ladder')).at(-1), { stream: 3, offset: 40, count: 40 });
    // The keyboard continues from the first packet the page brought.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-index')), '40');
    await page.getByRole('button', { name: 'Show 40 before the end' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.ladder-arrow').length === 160);
    assert.deepEqual((await log(page, 'flow/ladder')).at(-1), { stream: 3, offset: 220, count: 40 });
    await page.close();
  });

  test('capture text in the ladder and the timeline stays text', async () => {
    const page = await openPage();
    await showFlow(page, 7, 80);
    assert.equal(await page.locator('.ladder-head-sub').nth(2).textContent(), '<img src=x onerror="window.__pwned=1">');
    assert.equal(await page.locator('.ladder-head-sub').nth(3).textContent(), '<script>window.__pwned=2</script>');
    assert.match((await page.locator('.ladder-arrow').nth(4).locator('.ladder-analysis').textContent()) ?? '', /\[<img src=x onerror="window\.__pwned=5">\]/);
    assert.match((await page.locator('.ladder-arrow').nth(4).getAttribute('aria-label')) ?? '', /<img src=x/);
    assert.match((await page.locator('.state-table[data-role=client] caption').textContent()) ?? '', /Client <img src=x/);
    await page.locator('#tab-timeline').click();
    await page.waitForFunction(() => (window as any).tcpscope.timeline.barsDrawn > 0);
    assert.match((await page.locator('.tl-findings').textContent()) ?? '', /<img src=x onerror="window\.__pwned=6">/);
    assert.match((await page.locator('.tl-findings').textContent()) ?? '', /peaked <b>here<\/b>/);
    // The timeline's cursor starts on the flow selected in Flows (stream 7); away and back with the keyboard.
    await page.waitForFunction(() => /^Stream 7: <img src=x/.test(document.getElementById('tl-active')?.textContent ?? ''));
    await page.locator('.tl-viewport').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => /^Stream 8: /.test(document.getElementById('tl-active')?.textContent ?? ''));
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => /^Stream 7: <img src=x/.test(document.getElementById('tl-active')?.textContent ?? ''));
    await page.waitForTimeout(200);
    const dom = await page.evaluate(() => ({
      pwned: (window as any).__pwned,
      imgs: document.querySelectorAll('img').length,
      bold: document.querySelectorAll('b').length,
      scripts: document.querySelectorAll('script').length,
      violations: (window as any).__fakeHost.violations,
    }));
    assert.deepEqual(dom, { pwned: undefined, imgs: 0, bold: 0, scripts: 1, violations: [] });
    await page.close();
  });

  test('the timeline draws bars by outcome with findings shaded; zoom changes the span; a click selects the flow', async () => {
    const page = await openPage();
    await page.locator('#tab-timeline').click();
    await page.waitForFunction(() => (window as any).tcpscope.timeline.barsDrawn > 10);
    const tl = () => page.evaluate(() => (window as any).tcpscope.timeline.visibleSpan as { start: number; end: number });
    const whole = await tl();
    assert.equal(whole.start, 0);
    assert.ok(Math.abs(whole.end - (99_999 / 1000 + 0.65)) < 1e-9);
    assert.match((await page.locator('.tl-legend').textContent()) ?? '', /closed normally \(SF\): 16667.*reset \(REJ, RSTO, RSTR, RSTOS0, RSTRH\): 16667/);
    // The bar of flow 0 is painted in the outcome colour (SF: green) where barPoint says it is.
    const px = await page.evaluate(() => {
      const t = (window as any).tcpscope.timeline;
      const p = t.barPoint(0);
      const c = document.querySelector('.tl-canvas') as HTMLCanvasElement;
      const box = c.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const d = c.getContext('2d')!.getImageData(Math.round((p.x - box.left) * dpr), Math.round((p.y - box.top) * dpr), 1, 1).data;
      return [d[0], d[1], d[2], d[3]];
    });
    assert.deepEqual(px, [0, 128, 0, 255]);

    await page.getByRole('button', { name: 'Zoom in (+)' }).click();
    let v = await tl();
    assert.ok(Math.abs(v.end - v.start - (whole.end - whole.start) / 2) < 1e-6, JSON.stringify(v));
    await page.locator('.tl-viewport').focus();
    await page.keyboard.press('+');
    v = await tl();
    assert.ok(Math.abs(v.end - v.start - (whole.end - whole.start) / 4) < 1e-6, JSON.stringify(v));
    await page.keyboard.press('ArrowRight');
    const panned = await tl();
    assert.ok(panned.start > v.start && Math.abs(panned.end - panned.start - (v.end - v.start)) < 1e-6);
    // Ctrl+wheel zooms around the pointer.
    const box = (await page.locator('.tl-viewport').boundingBox())!;
    await page.mouse.move(box.x + 100, box.y + 50);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -300);
    await page.keyboard.up('Control');
    await page.waitForFunction((w) => {
      const s = (window as any).tcpscope.timeline.visibleSpan;
      return s.end - s.start < w - 1e-9;
    }, panned.end - panned.start);
    assert.match((await page.locator('.tl-span').textContent()) ?? '', /showing .* s \(.*×\d/);
    await page.keyboard.press('0');
    assert.deepEqual(await tl(), whole);

    // The density strip moves the view there and scrolls the rows to the flows starting then (timeline/locate).
    await page.getByRole('button', { name: 'Zoom in (+)' }).click();
    const strip = (await page.locator('.tl-strip').boundingBox())!;
    await page.mouse.click(strip.x + strip.width * 0.75, strip.y + strip.height / 2);
    await page.waitForFunction(() => (window as any).__fakeHost.log.some((m: any) => m.method === 'timeline/locate'));
    v = await tl();
    assert.ok(Math.abs((v.start + v.end) / 2 - whole.end * 0.75) < whole.end * 0.01, JSON.stringify(v));
    const located = (await log(page, 'timeline/locate')).at(-1).seconds;
    assert.ok(Math.abs(located - v.start) < 1e-9);
    await page.waitForFunction(() => (document.querySelector('.tl-viewport') as HTMLElement).scrollTop > 0);
    await page.keyboard.press('0');

    // Zoomed in on the start, flow 5's bar is wide enough to hit; clicking it opens the flow.
    await page.locator('.tl-viewport').evaluate((v) => (v.scrollTop = 0));
    await page.evaluate(() => (window as any).tcpscope.timeline.zoom(1 / 100, 0));
    await page.waitForTimeout(50);
    const p = await page.evaluate(() => (window as any).tcpscope.timeline.barPoint(5));
    assert.ok(p, 'flow 5 is drawn');
    await page.mouse.click(p.x, p.y);
    await page.waitForFunction(() => document.getElementById('tab-flows')?.getAttribute('aria-selected') === 'true');
    await page.locator('#detail-title', { hasText: 'Stream 5:' }).waitFor();
    assert.equal(await page.locator('.flows .vg-row.selected .vg-cell').first().textContent(), '5');
    assert.deepEqual((page as any).errors, []);
    await page.close();
  });

  test('a theme applied while the capture loads still colours the timeline', async () => {
    const page = await openPage();
    // VS Code may write its theme variables while the panel still says "Analysing…" (the timeline not in the page).
    await page.evaluate(async () => {
      const h = (window as any).__fakeHost;
      h.notify('capture/changed', { state: 'loading', fileName: 'ladder.pcapng', bytesRead: 0, totalBytes: 0 });
      await new Promise((r) => requestAnimationFrame(r));
      document.documentElement.style.setProperty('--vscode-editor-foreground', 'rgb(21, 21, 21)');
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      h.notify('capture/changed', h.captureState);
    });
    await page.locator('#tab-timeline').click();
    await page.waitForFunction(() => (window as any).tcpscope.timeline.barsDrawn > 10);
    const px = await page.evaluate(() => {
      const p = (window as any).tcpscope.timeline.barPoint(0);
      const c = document.querySelector('.tl-canvas') as HTMLCanvasElement;
      const box = c.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      return [...c.getContext('2d')!.getImageData(Math.round((p.x - box.left) * dpr), Math.round((p.y - box.top) * dpr), 1, 1).data];
    });
    assert.deepEqual(px, [0, 128, 0, 255], 'flow 0 (SF) in --vscode-charts-green');
    await page.close();
  });

  test('the timeline marks the selected flow and brings its row into view when shown', async () => {
    const page = await openPage();
    // Selected from the packet list while the Flows tab shows: the timeline is hidden and learns it on the way.
    await page.evaluate(() => (window as any).__fakeHost.notify('selection/changed', { stream: 60000, show: true }));
    await page.waitForFunction(() => document.querySelector('.flows .vg-row.selected .vg-cell')?.textContent === '60000');
    await page.locator('#tab-timeline').click();
    await page.waitForFunction(() => (window as any).tcpscope.timeline.markedIndex === 60000);
    await page.waitForFunction(() => /^Stream 60000: .*\(the selected flow\)$/.test(document.getElementById('tl-active')?.textContent ?? ''));
    assert.deepEqual((await log(page, 'timeline/indexOf')).at(-1), { stream: 60000 });
    await page.waitForFunction(() => (window as any).tcpscope.timeline.barPoint(60000) !== null);
    // Its row is painted with the selection background where the rows around it are bare canvas.
    const sample = () =>
      page.evaluate(() => {
        const t = (window as any).tcpscope.timeline;
        const c = document.querySelector('.tl-canvas') as HTMLCanvasElement;
        const box = c.getBoundingClientRect();
        const dpr = window.devicePixelRatio || 1;
        const y = t.barPoint(60000).y - box.top;
        const px = (x: number, yy: number) => [...c.getContext('2d')!.getImageData(Math.round(x * dpr), Math.round(yy * dpr), 1, 1).data];
        for (let x = box.width - 3; x > box.width / 2; x--) {
          const above = px(x, y - 12);
          const below = px(x, y + 12);
          if (above[3] === 0 && below[3] === 0) return { x, marked: px(x, y) };
        }
        return null;
      });
    const s = await sample();
    assert.ok(s, 'a bare spot beside the marked row');
    assert.deepEqual(s.marked, [55, 55, 61, 255]);
    // Another flow picked in the table moves the mark (the timeline row of the new flow, asked once).
    await page.locator('#tab-flows').click();
    await page.evaluate(() => (window as any).tcpscope.flows.select(60005, 'api'));
    await page.locator('#tab-timeline').click();
    await page.waitForFunction(() => (window as any).tcpscope.timeline.markedIndex === 60005);
    await page.waitForFunction(() => /^Stream 60005: /.test(document.getElementById('tl-active')?.textContent ?? ''));
    assert.deepEqual((page as any).errors, []);
    await page.close();
  });

  test('a million flows: rows are fetched by page, the keyboard reaches the last flow, frames stay cheap', async () => {
    const page = await openPage({ flows: 1_000_000 });
    await page.locator('#tab-timeline').click();
    await page.waitForFunction(() => (window as any).tcpscope.timeline.barsDrawn > 10);
    await page.locator('.tl-viewport').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.getElementById('tl-active')?.textContent?.startsWith('Stream 0:'));
    assert.equal(await page.locator('.tl-viewport').getAttribute('aria-activedescendant'), 'tl-active');
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.getElementById('tl-active')?.textContent?.startsWith('Stream 999999:'));
    assert.equal(await page.locator('#tl-active').getAttribute('aria-setsize'), '1000000');
    // Scroll through the middle a step at a time and time each frame.
    const frames = await page.evaluate(async () => {
      const v = document.querySelector('.tl-viewport') as HTMLElement;
      const t = (window as any).tcpscope.timeline;
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        v.scrollTop = (v.scrollHeight * i) / 40;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        times.push(t.drawMs);
      }
      return times;
    });
    await page.waitForFunction(() => (window as any).tcpscope.timeline.barsDrawn > 10);
    frames.sort((a, b) => a - b);
    const median = frames[20]!;
    console.log(`timeline, 1M flows: median frame ${median.toFixed(2)} ms, worst ${frames.at(-1)!.toFixed(2)} ms`);
    // The median, not the worst: this machine is shared and a frame can lose the CPU to another process.
    assert.ok(median < 16, `median frame ${median} ms`);
    const gets = await log(page, 'timeline/get');
    assert.ok(gets.every((g: any) => g.count <= 2000), 'paged');
    assert.ok(gets.length < 120, `${gets.length} page requests`);
    const sums = await log(page, 'timeline/summary');
    assert.equal(sums.length, 1);
    await page.keyboard.press('Enter');
    await page.locator('#detail-title', { hasText: 'Stream 999999:' }).waitFor();
    await page.close();
  });
});
