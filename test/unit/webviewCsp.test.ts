import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, webviewHtml } from '../../src/extension/webviewHtml';

/**
 * The webview's Content-Security-Policy, read directive by directive: what each may load, and that nothing remote
 * or inline can run. The chromium test (test/webview) checks that the browser enforces it; this one fails when a
 * change loosens it.
 */

// What VS Code's webview.cspSource looks like.
const CSP_SOURCE = 'https://*.vscode-cdn.net';
const NONCE = 'q83vEjRWeJCrze8SNFZ4kKvN';

function directives(csp: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of csp.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    assert.ok(!out.has(name), `directive ${name} appears once`);
    out.set(name, sources);
  }
  return out;
}

test('the CSP denies by default and allows scripts only by nonce', () => {
  const d = directives(contentSecurityPolicy(CSP_SOURCE, NONCE));
  assert.deepEqual(d.get('default-src'), ["'none'"]);
  assert.deepEqual(d.get('script-src'), [`'nonce-${NONCE}'`]);
  // No fallback that could widen scripts: script-src-elem / -attr would override script-src if present.
  assert.equal(d.has('script-src-elem'), false);
  assert.equal(d.has('script-src-attr'), false);
  for (const none of ['connect-src', 'frame-src', 'base-uri', 'form-action']) assert.deepEqual(d.get(none), ["'none'"], none);
  // Styles, images and fonts from the extension's own files only (images may also be data: URLs).
  assert.deepEqual(d.get('style-src'), [CSP_SOURCE]);
  assert.deepEqual(d.get('font-src'), [CSP_SOURCE]);
  assert.deepEqual(d.get('img-src'), [CSP_SOURCE, 'data:']);
});

test('no directive allows inline code, eval, wildcards or remote origins', () => {
  const d = directives(contentSecurityPolicy(CSP_SOURCE, NONCE));
  const allowed = new Set(["'none'", CSP_SOURCE, 'data:', `'nonce-${NONCE}'`]);
  for (const [name, sources] of d) {
    for (const s of sources) {
      assert.ok(allowed.has(s), `${name} allows ${s}`);
      assert.doesNotMatch(s, /unsafe-|strict-dynamic|^\*$|^https?:$|^blob:$|^wss?:/, `${name} ${s}`);
    }
  }
  assert.ok(!d.get('script-src')!.includes('data:'));
  assert.ok(!d.get('style-src')!.some((s) => s.includes('unsafe-inline')));
});

test('every script element carries the nonce and none is inline; capture text cannot break out of the page', () => {
  const title = `</title><script>alert(1)</script><meta http-equiv="Content-Security-Policy" content="default-src *">`;
  const html = webviewHtml({
    cspSource: CSP_SOURCE,
    nonce: NONCE,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.css',
    title,
  });
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.equal(scripts.length, 1, 'one script element: the bundle');
  for (const [, attrs, body] of scripts) {
    assert.match(attrs!, new RegExp(`\\bnonce="${NONCE}"`));
    assert.match(attrs!, /\bsrc="[^"]+"/);
    assert.equal(body!.trim(), '', 'no inline script');
  }
  assert.equal((html.match(/<meta\b/g) ?? []).length, 3, 'the title cannot add an element (charset, CSP, viewport)');
  assert.equal((html.match(/<title>/g) ?? []).length, 1);
  assert.ok(html.includes('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler attributes');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.equal(meta?.[1], contentSecurityPolicy(CSP_SOURCE, NONCE));
  // The policy comes before anything that loads.
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<link'));
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'));
});

test('a hostile nonce or URI cannot inject attributes', () => {
  const html = webviewHtml({ cspSource: CSP_SOURCE, nonce: 'a" onload="x', scriptUri: 'x" onerror="y', styleUri: 's', title: 't' });
  assert.doesNotMatch(html, /\son(load|error)="/);
});
