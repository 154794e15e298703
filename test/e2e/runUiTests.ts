// The extension as a user gets it: vsce package -> install the .vsix into code-server -> open a capture with
// Ctrl+P -> each tab of the panel (Overview, Flows and a flow's ladder, Timeline, Findings) -> click a problem in
// the Problems panel -> the packet list opens on that packet -> its cursor turns the panel to the flow.
// Screenshots go to test-results/ (look at them: they are the only view of what a user would see).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { installVsix, missingPrerequisite, outDir, prepareState, repoRoot, stageExtension, runLauncher, startCodeServer } from './codeServer';
import { launchChromium } from '../support/chromium';
import { problemCapture, writeLargeCapture } from './fixtures';
import { HOSTILE, hostileCapture } from '../support/hostile';

const results = join(repoRoot, 'test-results');

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(results, `${name}.png`) });
  console.log(`  screenshot test-results/${name}.png`);
}

async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    const v = await f();
    console.log(`  ✔ ${name} (${Date.now() - t} ms)`);
    return v;
  } catch (e) {
    console.log(`  ✖ ${name}`);
    throw e;
  }
}

async function quickOpen(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** The webview of the active capture editor: VS Code nests the page in two iframes. */
function panel(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

async function main(): Promise<number> {
  const missing = missingPrerequisite();
  if (missing) {
    console.error(`UI tests cannot run: ${missing}`);
    return 1;
  }
  const t0 = Date.now();
  const base = join(outDir, 'e2e-ui');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(results, { recursive: true });
  // Pictures of an earlier run would pass for this one's.
  for (const f of readdirSync(results)) if (/^ui-(\d\d-.*|failure)\.png$/.test(f)) rmSync(join(results, f));

  const vsix = await step('vsce package', async () => {
    const stage = stageExtension(join(base, 'extension'));
    const out = join(base, 'tcpscope.vsix');
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'package-vsix.mjs'), '--cwd', stage, '--out', out], { stdio: 'ignore' });
    return out;
  });
  const state = join(base, 'state');
  prepareState(state, { 'workbench.colorTheme': 'Default Dark Modern' });
  await step('install the .vsix into code-server', () => installVsix(state, vsix));

  const workspace = join(base, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'problems.pcap'), problemCapture());
  writeFileSync(join(workspace, 'hostile.pcapng'), hostileCapture());
  // Large enough (about 500 MB) that its analysis is still running when the notification's Cancel is clicked.
  // Big enough that the two-thread analysis is still running when the test reaches Cancel (about 1 GB).
  await step('generate a large capture', async () => writeLargeCapture(workspace, 0.3));
  const sample = join(repoRoot, 'media', 'sample.pcapng');
  if (existsSync(sample)) copyFileSync(sample, join(workspace, 'sample.pcapng'));

  const server = await startCodeServer(state);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await step('workbench loads', () => page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 60_000 }));
    await page.waitForTimeout(1500); // let the explorer and extension host settle before typing

    await step('Ctrl+P opens problems.pcap: the panel opens on the Overview with its counts and ranked findings', async () => {
      await quickOpen(page, 'problems.pcap');
      const p = panel(page);
      await p.locator('#tab-overview[aria-selected="true"]').waitFor({ timeout: 30_000 });
      await p.locator('.overview', { hasText: 'Capture errors' }).waitFor();
      await p.locator('.analysis .counts button').first().waitFor();
      const counts = await p.locator('.outcome-group').allTextContents();
      check(/^Client state.*CLOSED1.*TIME_WAIT1/.test(counts[0] ?? ''), `client states: ${counts[0]}`);
      check(/^conn_state.*SF1.*REJ1|^conn_state.*REJ1.*SF1/.test(counts[2] ?? ''), `conn_state: ${counts[2]}`);
      const ranked = await p.locator('.ranked-findings > li .severity').allTextContents();
      check(ranked.join() === 'Warning,Warning,Info', `ranked findings: ${ranked.join()}`);
    });
    await shot(page, 'ui-01-overview');

    await step('the Flows tab lists both flows with their end states, conn_state and history', async () => {
      const p = panel(page);
      await p.getByRole('tab', { name: 'Flows' }).click();
      const rows = p.locator('.flows .vg-row:not([hidden])');
      await rows.nth(1).waitFor({ timeout: 15_000 });
      check((await rows.count()) === 2, `expected 2 flows, saw ${await rows.count()}`);
      const labels = await p.locator('.flows [role=columnheader]').allTextContents();
      const cells = async (i: number) => {
        const t = await rows.nth(i).locator('.vg-cell').allTextContents();
        return (label: string) => t[labels.indexOf(label)];
      };
      const a = await cells(0);
      check(a('Client') === '10.0.0.1:40000' && a('Server') === '10.0.0.2:80', `first flow: ${a('Client')} -> ${a('Server')}`);
      check(a('Client state') === 'TIME_WAIT' && a('Server state') === 'CLOSED' && a('Conn') === 'SF' && a('History') === 'ShADaFf', `first flow states: ${labels.map(a).join(' | ')}`);
      const b = await cells(1);
      check(b('Conn') === 'REJ' && b('Findings') === 'tcp.connection.refused', `second flow: ${labels.map(b).join(' | ')}`);
    });
    await shot(page, 'ui-02-flows');

    await step('clicking a flow draws its ladder and reveals its first packet in the packet list', async () => {
      const p = panel(page);
      await p.locator('.flows .vg-row:not([hidden])').first().click();
      await p.locator('#detail-title', { hasText: 'Stream 0:' }).waitFor();
      await p.locator('.ladder-arrow').nth(7).waitFor();
      const arrows = await p.locator('.ladder-arrow').count();
      check(arrows === 8, `${arrows} ladder arrows (8 packets with a whole TCP header)`);
      const ladder = (await p.locator('.ladder-svg').textContent()) ?? '';
      for (const role of ['final ACK (handshake)', 'FIN (active close)', 'FIN (passive close)']) check(ladder.includes(role), `the ladder names ${role}`);
      await p.locator('.state-holder', { hasText: 'TIME_WAIT' }).waitFor();
      await page.locator('.tab', { hasText: 'problems.pcap.packets' }).first().waitFor({ timeout: 15_000 });
      // Frame 1 is line 3. The panel keeps the focus, so the status bar does not follow the list: its cursor line does.
      await page.locator('.monaco-editor .line-numbers.active-line-number', { hasText: /^3$/ }).waitFor({ timeout: 10_000 });
      await p.locator('#flow-detail-extra').scrollIntoViewIfNeeded();
    });
    await shot(page, 'ui-03-flow-ladder');

    await step('the Timeline tab draws both flows by outcome and marks the selected one', async () => {
      const p = panel(page);
      await p.getByRole('tab', { name: 'Timeline' }).click();
      await p.locator('.tl-legend', { hasText: 'closed normally (SF): 1' }).waitFor();
      const legend = (await p.locator('.tl-legend').textContent()) ?? '';
      check(legend.includes('reset (REJ, RSTO, RSTR, RSTOS0, RSTRH): 1'), `legend: ${legend}`);
      const state = () => p.locator('body').evaluate(() => {
        const t = (window as unknown as { tcpscope: { timeline: { barsDrawn: number; markedIndex: number } } }).tcpscope.timeline;
        return { bars: t.barsDrawn, marked: t.markedIndex };
      });
      for (let i = 0; i < 100 && (await state()).bars < 2; i++) await page.waitForTimeout(100);
      const s = await state();
      check(s.bars === 2 && s.marked === 0, `timeline: ${JSON.stringify(s)}`);
    });
    await shot(page, 'ui-04-timeline');

    await step('the Findings tab explains each finding with its evidence', async () => {
      const p = panel(page);
      await p.getByRole('tab', { name: 'Findings' }).click();
      const cards = p.locator('#findings-panel .finding');
      await cards.nth(2).waitFor();
      const codes = await cards.evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset['code']));
      check(codes.join() === 'capture.truncated,packet.malformed,tcp.connection.refused', `findings: ${codes.join()}`);
      await p.locator('#findings-panel .evidence.frames button', { hasText: 'frame 5' }).waitFor();
    });
    await shot(page, 'ui-05-findings');

    await step('a problem in the Problems panel lands on its packet line', async () => {
      await page.keyboard.press('Control+Shift+M');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'malformed' }).first();
      await problem.waitFor({ timeout: 15_000 });
      await shot(page, 'ui-06-problems-panel');
      await problem.click();
      // Frame 5 is line 7: two header lines, then frames 1-4.
      await page.waitForFunction(() => /Ln 7, Col/.test(document.querySelector('[id="status.editor.selection"]')?.textContent ?? ''), null, { timeout: 10_000 });
      const tab = await page.locator('.tab.active', { hasText: 'problems.pcap.packets' }).count();
      check(tab > 0, 'the packet list is the active editor');
    });
    await shot(page, 'ui-07-problem-lands-on-packet-line');

    await step('moving the cursor in the packet list turns the panel to that flow, the focus stays in the editor', async () => {
      const p = panel(page);
      // The panel shows the Findings tab; frame 10 (line 12) is the refused connection, stream 1.
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type('12');
      await page.keyboard.press('Enter');
      await p.locator('#tab-flows[aria-selected="true"]').waitFor({ timeout: 10_000 });
      await p.locator('#detail-title', { hasText: 'Stream 1:' }).waitFor({ timeout: 10_000 });
      await p.locator('.flows .vg-row.selected', { hasText: '10.0.0.3:443' }).waitFor();
      await p.locator('.ladder-arrow.revealed[data-frame="10"]').waitFor({ timeout: 10_000 });
      // Still typing in the packet list: the next line is frame 11, the RST, and the ladder follows.
      const inEditor = () => page.evaluate(() => document.activeElement?.closest('.monaco-editor') !== null && document.activeElement?.closest('iframe, .webview') == null);
      check(await inEditor(), 'the packet list editor keeps the focus');
      await page.keyboard.press('ArrowDown');
      await p.locator('.ladder-arrow.revealed[data-frame="11"]').waitFor({ timeout: 10_000 });
      await p.locator('.detail .vg-row.selected', { hasText: '0.101000' }).waitFor({ timeout: 10_000 });
      check(await inEditor(), 'the packet list editor still has the focus');
      await page.waitForFunction(() => /Ln 13, Col/.test(document.querySelector('[id="status.editor.selection"]')?.textContent ?? ''));
      await p.locator('.tabs').scrollIntoViewIfNeeded();
    });
    await shot(page, 'ui-08-cursor-turns-panel-to-flow');

    if (existsSync(sample)) {
      await step('the bundled sample opens on its Overview, its timeline drawn', async () => {
        await quickOpen(page, 'sample.pcapng');
        const p = panel(page);
        await p.locator('h1', { hasText: 'sample.pcapng' }).waitFor({ timeout: 30_000 });
        await p.locator('.analysis .counts button').first().waitFor({ timeout: 30_000 });
        await p.getByRole('tab', { name: 'Timeline' }).click();
        await p.locator('.tl-legend').waitFor();
      });
      await page.keyboard.press('Control+Shift+M'); // hide the panel for the picture
      await shot(page, 'ui-09-sample-timeline');
    }
    await step('a hostile pcapng shows its comments and names as text in the real webview', async () => {
      await quickOpen(page, 'hostile.pcapng');
      const facts = panel(page).locator('.capture-facts');
      await facts.waitFor({ timeout: 30_000 });
      const text = (await facts.textContent()) ?? '';
      for (const s of [HOSTILE.ifName, HOSTILE.shbOs, HOSTILE.nrbName, HOSTILE.epbComment]) check(text.includes(s), `overview shows ${s}`);
      // Elements or attributes the strings ask for. The page's own svg and links are fine, and so is the inline
      // script VS Code itself puts in every webview to define acquireVsCodeApi.
      const injected = await panel(page).locator('img, iframe, [onerror], [onload], [href^="javascript:"], [src*="evil.example"], script:not([src]):not(#_vscodeApiScript)').count();
      check(injected === 0, `${injected} elements made from capture text`);
      const pwned = await panel(page).locator('body').evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned ?? null);
      check(pwned === null, `script ran: ${String(pwned)}`);
    });
    await shot(page, 'ui-10-hostile-capture-as-text');

    await step('a large capture shows a progress notification whose Cancel stops the analysis', async () => {
      await quickOpen(page, 'large.pcap');
      const toast = page.locator('.notification-toast', { hasText: 'tcpscope: analysing large.pcap' });
      const cancel = toast.getByRole('button', { name: 'Cancel' });
      await cancel.waitFor({ timeout: 20_000 });
      // The panel shows the same progress, with its own Cancel.
      await panel(page).locator('#progress-label', { hasText: /Analysing… .* of / }).waitFor({ timeout: 10_000 });
      await shot(page, 'ui-11-large-capture-progress');
      // The toast re-renders with every progress update, so it is never "stable" for a pointer click; the
      // button's own click handler is what a user's click reaches.
      await cancel.dispatchEvent('click');
      await panel(page).locator('#failure', { hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
      await toast.waitFor({ state: 'detached', timeout: 10_000 });
    });
    await shot(page, 'ui-12-large-capture-cancelled');

    console.log(`UI tests passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    const page = browser.contexts()[0]?.pages()[0];
    if (page) await shot(page, 'ui-failure').catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(join(workspace, 'large.pcap'), { force: true });
  }
}

runLauncher(main);
