// The extension as a user gets it: vsce package -> install the .vsix into code-server -> open a capture with
// Ctrl+P -> flows in the panel -> click a problem in the Problems panel -> the packet list opens on that packet.
// Screenshots go to test-results/ (look at them: they are the only view of what a user would see).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { installVsix, missingPrerequisite, outDir, prepareState, repoRoot, stageExtension, runLauncher, startCodeServer } from './codeServer';
import { launchChromium } from '../support/chromium';
import { problemCapture } from './fixtures';

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
  const sample = join(repoRoot, 'media', 'sample.pcapng');
  if (existsSync(sample)) copyFileSync(sample, join(workspace, 'sample.pcapng'));

  const server = await startCodeServer(state);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await step('workbench loads', () => page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 60_000 }));
    await page.waitForTimeout(1500); // let the explorer and extension host settle before typing

    await step('Ctrl+P opens problems.pcap in the capture editor, flows listed', async () => {
      await quickOpen(page, 'problems.pcap');
      const rows = panel(page).locator('.flows .vg-row:not([hidden])');
      await rows.nth(1).waitFor({ timeout: 30_000 });
      check((await rows.count()) === 2, `expected 2 flows, saw ${await rows.count()}`);
      const first = await rows.first().locator('.vg-cell').allTextContents();
      check(first[1] === '10.0.0.1:40000' && first[2] === '10.0.0.2:80', `first flow row: ${first.join(' | ')}`);
      await panel(page).locator('.overview', { hasText: 'Capture errors' }).waitFor();
    });
    await shot(page, 'ui-01-capture-editor');

    await step('clicking a flow reveals its first packet in the packet list', async () => {
      await panel(page).locator('.flows .vg-row:not([hidden])').nth(1).click();
      await panel(page).locator('#detail-title', { hasText: 'Stream 1:' }).waitFor();
      await page.locator('.tab', { hasText: 'problems.pcap.packets' }).first().waitFor({ timeout: 15_000 });
      await page.locator('.view-lines', { hasText: '10.0.0.3:443' }).first().waitFor();
    });
    await shot(page, 'ui-02-flow-revealed-in-packet-list');

    await step('a problem in the Problems panel lands on its packet line', async () => {
      await page.keyboard.press('Control+Shift+M');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'malformed' }).first();
      await problem.waitFor({ timeout: 15_000 });
      await shot(page, 'ui-03-problems-panel');
      await problem.click();
      // Frame 5 is line 7: two header lines, then frames 1-4.
      await page.waitForFunction(() => /Ln 7, Col/.test(document.querySelector('[id="status.editor.selection"]')?.textContent ?? ''), null, { timeout: 10_000 });
      const tab = await page.locator('.tab.active', { hasText: 'problems.pcap.packets' }).count();
      check(tab > 0, 'the packet list is the active editor');
    });
    await shot(page, 'ui-04-problem-lands-on-packet-line');

    await step('moving the cursor in the packet list highlights its flow in the panel', async () => {
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type('3');
      await page.keyboard.press('Enter');
      await panel(page).locator('#detail-title', { hasText: 'Stream 0:' }).waitFor({ timeout: 10_000 });
      await panel(page).locator('.detail .vg-row.selected', { hasText: '0.000000' }).waitFor({ timeout: 10_000 });
    });
    await shot(page, 'ui-05-cursor-highlights-flow');

    if (existsSync(sample)) {
      await step('the bundled sample opens', async () => {
        await quickOpen(page, 'sample.pcapng');
        await panel(page).locator('h1', { hasText: 'sample.pcapng' }).waitFor({ timeout: 30_000 });
        await panel(page).locator('.flows .vg-row:not([hidden])').first().waitFor({ timeout: 30_000 });
      });
      await page.keyboard.press('Control+Shift+M'); // hide the panel for the picture
      await shot(page, 'ui-06-sample-capture');
    }
    console.log(`UI tests passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    const page = browser.contexts()[0]?.pages()[0];
    if (page) await shot(page, 'ui-failure').catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    await server.stop();
  }
}

runLauncher(main);
