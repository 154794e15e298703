// The VS Code layers of `npm test`: the extension-host suite and the UI end-to-end run, both in code-server.
// On a machine without code-server or chromium they are skipped with the reason (a newcomer's `npm test` still
// runs every core and webview test); in CI (CI=true) a missing prerequisite is a failure, never a silent skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const out = process.env.TCPSCOPE_OUT || 'out';
const codeServer = join(process.env.TCPSCOPE_CODE_SERVER_DIR || join(process.env.TMPDIR || '/tmp', 'tcpscope-code-server'), 'node_modules', '.bin', 'code-server');
const missing = !existsSync('/usr/bin/chromium') ? 'no /usr/bin/chromium (apt-get install -y chromium)' : !existsSync(codeServer) ? `no code-server at ${codeServer} (bash scripts/ci-install-ui.sh)` : '';
if (missing) {
  if (process.env.CI === 'true') {
    console.error(`e2e: cannot run in CI: ${missing}`);
    process.exit(1);
  }
  console.log(`e2e: skipped, ${missing}`);
  process.exit(0);
}
const layers = [
  ['extension host', join(out, 'test', 'e2e', 'runExtensionTests.js')],
  ['UI end-to-end', join(out, 'test', 'e2e', 'runUiTests.js')],
];
let passed = 0;
let failed = 0;
for (const [name, script] of layers) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  const ok = r.status === 0;
  console.log(`e2e ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (ok) passed++;
  else failed++;
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
