// Runs the mocha suite (index.ts) inside a real VS Code extension host: code-server's web workbench loads the
// extension under development and the tests from the `payload` URL parameter, then reports through the
// codeAutomationLog / codeAutomationExit hooks that @vscode/test-web also uses. No .vsix, no internet.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { missingPrerequisite, outDir, prepareState, stageExtension, runLauncher, startCodeServer } from './codeServer';
import { launchChromium } from '../support/chromium';
import { notACapture, problemCapture, writeLargeCapture } from './fixtures';
import { hostileCapture } from '../support/hostile';

async function main(): Promise<number> {
  const missing = missingPrerequisite();
  if (missing) {
    console.error(`extension tests cannot run: ${missing}`);
    return 1;
  }
  const t0 = Date.now();
  const base = join(outDir, 'e2e-host');
  const extension = stageExtension(join(base, 'extension'));
  const workspace = join(base, 'workspace');
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'problems.pcap'), problemCapture());
  writeFileSync(join(workspace, 'not-a-capture.pcap'), notACapture());
  writeFileSync(join(workspace, 'hostile.pcapng'), hostileCapture());
  // Generated here, not in the extension host: the suite measures that host's event loop while this file loads.
  const t = Date.now();
  writeLargeCapture(workspace, Number(process.env.TCPSCOPE_E2E_LARGE_SCALE || 0.1));
  console.log(`large capture generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const state = join(base, 'state');
  prepareState(state);

  const server = await startCodeServer(state);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    let exit: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      // The workbench forwards console calls with their format string (mocha's reporter uses %s and %d).
      const text = format(...(Array.isArray(args) ? args : [args]));
      (type === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    const remote = (p: string) => `vscode-remote://remote${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(extension)],
      ['extensionTestsPath', remote(join(outDir, 'test', 'e2e', 'index.js'))],
    ]);
    const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
    await page.goto(url);
    const timeout = new Promise<number>((r) => setTimeout(() => r(124), 300_000).unref());
    const code = await Promise.race([exited, timeout]);
    if (code === 124) console.error('extension tests timed out');
    console.log(`extension-host tests: exit ${code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(join(workspace, 'large.pcap'), { force: true });
  }
}

runLauncher(main);
