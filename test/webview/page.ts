// What every chromium test of the webview shares: the real bundle served at a fake origin under the real
// webviewHtml (CSP and nonce), and every other request refused, so no test can fetch anything from outside.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { webviewHtml } from '../../src/extension/webviewHtml';
import { chromiumPath } from '../support/chromium';
import { installFakeHost, type FakeHostConfig } from './fakeHost';

export const ORIGIN = 'http://tcpscope.test';
export const webviewDist = resolve(process.env.TCPSCOPE_DIST || 'dist', 'webview');

/** Why the chromium tests cannot run here ('' when they can). */
export const missingWebview = !existsSync(chromiumPath)
  ? `no chromium at ${chromiumPath} (apt-get install -y chromium)`
  : !existsSync(join(webviewDist, 'main.js'))
    ? `no webview bundle in ${webviewDist} (npm run build)`
    : '';

/** Answers `/` with the panel's HTML and the bundle's files from disk; aborts any other origin. */
export async function serveWebview(page: Page, nonce: string, title: string): Promise<void> {
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) return route.abort();
    if (url.pathname === '/') {
      const html = webviewHtml({ cspSource: ORIGIN, nonce, scriptUri: `${ORIGIN}/main.js`, styleUri: `${ORIGIN}/main.css`, title });
      return route.fulfill({ contentType: 'text/html', body: html });
    }
    const file = join(webviewDist, url.pathname.replace(/^\/+/, ''));
    if (!file.startsWith(webviewDist) || !existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript', body: readFileSync(file) });
  });
}

/** Loads the panel answered by the fake host (fakeHost.ts) with `config`, the way most chromium tests start. */
export async function openWithFakeHost(page: Page, nonce: string, config: FakeHostConfig): Promise<void> {
  await serveWebview(page, nonce, config.fileName);
  await page.addInitScript({ content: `(${installFakeHost.toString()})(${JSON.stringify(config)});` });
  await page.goto(`${ORIGIN}/`);
}
