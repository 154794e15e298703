// Bundles every runtime with esbuild: the extension host (node, cjs, 'vscode' external), the analysis worker,
// the CLI, the webview (browser), and the tests and scripts (node). Type checking is separate (npm run typecheck).
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
// Separate output folders let several builds run side by side (TCPSCOPE_OUT=out-x TCPSCOPE_DIST=dist-x).
const outDir = process.env.TCPSCOPE_OUT || 'out';
const distDir = process.env.TCPSCOPE_DIST || 'dist';
const production = process.argv.includes('--production');

function walk(dir, pred, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

const common = { bundle: true, sourcemap: true, logLevel: 'warning', minify: production, target: 'es2022' };
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

const builds = [];
const maybe = (entry, opts) => existsSync(entry) && builds.push({ entryPoints: [entry], ...opts });

maybe('src/extension/extension.ts', { ...node, outfile: `${distDir}/extension.js`, external: ['vscode'] });
maybe('src/extension/worker.ts', { ...node, outfile: `${distDir}/worker.js` });
// The reader half of the two-thread analysis (src/node/parallel.ts) is found beside the bundle that starts it.
maybe('src/node/readerThread.ts', { ...node, outfile: `${distDir}/readerThread.js` });
maybe('src/node/readerThread.ts', { ...node, outfile: `${outDir}/readerThread.js` });
maybe('src/cli/main.ts', { ...node, outfile: `${distDir}/cli.js`, banner: { js: '#!/usr/bin/env node' } });
maybe('webview/main.ts', { ...common, platform: 'browser', format: 'iife', outfile: `${distDir}/webview/main.js` });

const tests = walk('test', (p) => p.endsWith('.test.ts') || p.endsWith('.spec.ts'));
const testSupport = walk('test', (p) => /test[\\/](e2e|webview)[\\/].*\.ts$/.test(p) && !p.endsWith('.test.ts'));
const scripts = walk('scripts', (p) => p.endsWith('.ts'));
if (tests.length + testSupport.length + scripts.length) {
  builds.push({ entryPoints: [...tests, ...testSupport, ...scripts], outdir: outDir, outbase: '.', ...node, external: ['vscode', 'playwright-core', 'mocha'] });
}

rmSync(outDir, { recursive: true, force: true });
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
