// One tsc run per runtime, so an import that crosses a boundary (vscode in the core, DOM in the CLI...) fails here.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const projects = ['src/core', 'src/cli', 'src/extension', 'webview', 'test', 'test/webview', 'test/e2e'].filter((p) => existsSync(`${p}/tsconfig.json`));
let failed = false;
for (const p of projects) {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', `${p}/tsconfig.json`], { stdio: 'inherit' });
  } catch {
    failed = true;
    console.error(`typecheck failed: ${p}`);
  }
}
process.exit(failed ? 1 : 0);
