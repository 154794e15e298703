// Starts code-server (a real VS Code workbench and Node extension host) isolated from the machine and offline,
// plus the chromium that drives it. Shared by the extension-host tests and the UI tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromiumPath } from '../support/chromium';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const outDir = resolve(repoRoot, process.env.TCPSCOPE_OUT || 'out');
export const distDir = resolve(repoRoot, process.env.TCPSCOPE_DIST || 'dist');

export function codeServerBin(): string {
  const dir = process.env.TCPSCOPE_CODE_SERVER_DIR || join(process.env.TMPDIR || '/tmp', 'tcpscope-code-server');
  return join(dir, 'node_modules', '.bin', 'code-server');
}

/** Says what is missing to run these tests, or '' when everything is there. */
export function missingPrerequisite(): string {
  if (!existsSync(codeServerBin())) return `code-server is not installed at ${codeServerBin()} (run scripts/ci-install-ui.sh)`;
  if (!existsSync(chromiumPath)) return `no chromium at ${chromiumPath} (apt-get install -y chromium)`;
  if (!existsSync(join(distDir, 'extension.js'))) return `no extension bundle in ${distDir} (npm run build)`;
  return '';
}

/** An extension folder as VS Code loads it: the manifest with the bundles under dist/, whatever folder they were built in. */
export function stageExtension(target: string): string {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
    if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(target, f));
  }
  cpSync(distDir, join(target, 'dist'), { recursive: true });
  for (const d of ['media', 'docs']) if (existsSync(join(repoRoot, d))) cpSync(join(repoRoot, d), join(target, d), { recursive: true });
  return target;
}

export interface CodeServer {
  url: string;
  stop(): Promise<void>;
}

/** Environment that keeps code-server inside `state` and away from any network service. */
function isolatedEnv(state: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'LANG', 'NODE_OPTIONS']) if (process.env[k]) env[k] = process.env[k];
  return {
    ...env,
    HOME: join(state, 'home'),
    TMPDIR: join(state, 'tmp'),
    XDG_CONFIG_HOME: join(state, 'config'),
    XDG_DATA_HOME: join(state, 'data'),
    XDG_CACHE_HOME: join(state, 'cache'),
    EXTENSIONS_GALLERY: '{}', // else the workbench asks a marketplace
  };
}

function baseArgs(state: string): string[] {
  return ['--config', join(state, 'config.yaml'), '--user-data-dir', join(state, 'ud'), '--extensions-dir', join(state, 'ext')];
}

export function prepareState(state: string, settings: Record<string, unknown> = {}): void {
  rmSync(state, { recursive: true, force: true });
  for (const d of ['home', 'tmp', 'config', 'data', 'cache', 'ud/User', 'ext']) mkdirSync(join(state, d), { recursive: true });
  writeFileSync(join(state, 'config.yaml'), 'auth: none\ncert: false\n');
  writeFileSync(
    join(state, 'ud', 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'security.workspace.trust.enabled': false,
      'chat.commandCenter.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'git.enabled': false,
      'git.openRepositoryInParentFolders': 'never',
      ...settings,
    }),
  );
}

export async function installVsix(state: string, vsix: string): Promise<void> {
  await run(codeServerBin(), [...baseArgs(state), '--install-extension', vsix], isolatedEnv(state));
}

export function startCodeServer(state: string): Promise<CodeServer> {
  const args = [
    '--bind-addr',
    '127.0.0.1:0',
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...baseArgs(state),
  ];
  const child = spawn(codeServerBin(), args, { env: isolatedEnv(state), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(new Error(`code-server did not start:\n${output}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(e);
    };
    const onData = (b: Buffer) => {
      output += b.toString();
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        if (process.env.TCPSCOPE_E2E_VERBOSE) {
          child.stdout!.on('data', (d: Buffer) => process.stderr.write(d));
          child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
        } else {
          child.stdout!.resume();
          child.stderr!.resume();
        }
        resolvePromise({ url: m[1]!, stop: () => stopChild(child) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`code-server exited (${code}):\n${output}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 3000).unref();
  });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.stderr.on('data', (d: Buffer) => (out += d));
    c.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}


/** Runs a launcher's main() and exits with its code; an exception is a failure, printed, never a silent pass. */
export function runLauncher(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
