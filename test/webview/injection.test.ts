// Script injection, end to end in the browser: a pcapng whose comments, interface names, name resolution records,
// section header strings and payload are markup (test/support/hostile.ts) is analysed by the real CaptureModel in
// this process; the real webview bundle is fed exactly what the worker would answer, in Debian chromium under the
// real CSP. No script may run, no dialog open, no element be made from the strings, and no request leave the page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CaptureModel } from '../../src/extension/captureModel';
import type { FakeHostConfig } from './fakeHost';
import { launchChromium } from '../support/chromium';
import { ORIGIN, missingWebview, openWithFakeHost } from './page';
import { EPB_FORGED_ESCAPED, HOSTILE, hostileCapture } from '../support/hostile';

const missing = missingWebview;

const FILE_NAME = `<img src=x onerror="window.__pwned='file_name'">.pcapng`;

/** What the worker answers for the hostile capture: overview, flows and every flow's packets. */
function realAnswers(): NonNullable<FakeHostConfig['capture']> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpscope-inject-'));
  try {
    const path = join(dir, 'hostile.pcapng');
    writeFileSync(path, hostileCapture());
    const model = new CaptureModel(path, 1000);
    const overview = { ...model.overview(), fileName: FILE_NAME };
    const flows = model.flows(0, 500, { column: 'stream', descending: false }, '').rows;
    const packets: Record<number, unknown[]> = {};
    for (const f of flows) packets[f.stream] = model.packets(f.stream, 0, 500).rows;
    return { overview, flows, packets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Opened {
  page: Page;
  requests: string[];
  dialogs: string[];
  errors: string[];
}

async function open(browser: Browser, config: FakeHostConfig, nonce: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  const requests: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await openWithFakeHost(page, nonce, config);
  return { page, requests, dialogs, errors };
}

describe('hostile capture text in the webview', { skip: missing || undefined }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('every string is shown as literal text; no script runs, no dialog opens, no request leaves', async () => {
    const nonce = randomBytes(18).toString('base64');
    const capture = realAnswers();
    const { page, requests, dialogs, errors } = await open(browser, { flows: 0, hostileStreams: [], fileName: FILE_NAME, capture, initialState: { tab: 'flows' } }, nonce);
    try {
      await page.locator('.capture-facts').waitFor({ state: 'attached' });
      await page.locator('.flows .vg-row:not([hidden])').first().click();
      await page.locator('.detail .vg-row:not([hidden])').first().waitFor();
      // Give any injected handler (onerror of a broken image, onload of an svg) time to fire.
      await page.waitForTimeout(500);

      const overview = (await page.locator('.overview').textContent()) ?? '';
      const expected = [
        HOSTILE.shbHardware,
        HOSTILE.shbOs,
        HOSTILE.shbApp,
        HOSTILE.shbComment,
        HOSTILE.ifName,
        HOSTILE.ifDescription,
        HOSTILE.ifComment,
        HOSTILE.nrbName,
        HOSTILE.nrbName2,
        HOSTILE.nrbName6,
        HOSTILE.epbComment,
        EPB_FORGED_ESCAPED,
        HOSTILE.pbComment,
      ];
      for (const s of expected) assert.ok(overview.includes(s), `overview shows ${JSON.stringify(s)} verbatim`);
      assert.equal(await page.locator('h1').textContent(), FILE_NAME);
      assert.equal(await page.title(), FILE_NAME);

      const dom = await page.evaluate(() => {
        const all = [...document.querySelectorAll('*')];
        return {
          pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
          // Elements the strings ask for, and any attribute that would run code or fetch.
          // The flow detail's own diagrams (ladder, state bands) are the only svg elements the webview makes.
          injected: document.querySelectorAll('img, iframe, svg:not(.ladder-svg, .state-bands), a, object, embed, link:not([rel=stylesheet]), base, form').length,
          scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
          styles: document.querySelectorAll('style').length,
          handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name) || /javascript:/i.test(a.value)).map((a) => `${e.tagName} ${a.name}`)),
          violations: (window as unknown as { __fakeHost: { violations: string[] } }).__fakeHost.violations,
        };
      });
      assert.deepEqual(dom, { pwned: null, injected: 0, scripts: [`${ORIGIN}/main.js`], styles: 0, handlers: [], violations: [] });
      assert.deepEqual(dialogs, []);
      assert.deepEqual(errors, []);
      // Only the page and the two bundle files were ever requested: no image beacon, no CSS @import, no frame.
      assert.deepEqual([...new Set(requests)].sort(), [`${ORIGIN}/`, `${ORIGIN}/main.css`, `${ORIGIN}/main.js`]);
    } finally {
      await page.close();
    }
  });
});
