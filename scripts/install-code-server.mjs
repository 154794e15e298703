// Installs code-server 4.100.3 (a real VS Code 1.100.3 workbench + Node extension host) for the extension-host and
// UI tests, into a cache outside the repo. Idempotent: returns at once when the binary is already there.
// It only talks to the npm registry: the steps below switch off every download its install scripts would make.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export function codeServerDir() {
  return process.env.TCPSCOPE_CODE_SERVER_DIR || join(process.env.TMPDIR || '/tmp', 'tcpscope-code-server');
}

export function codeServerBin() {
  return join(codeServerDir(), 'node_modules', '.bin', 'code-server');
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

export function installCodeServer() {
  const dir = codeServerDir();
  if (existsSync(codeServerBin()) && existsSync(join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'out'))) return dir;
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep is missing: apt-get install -y ripgrep libkrb5-dev (scripts/ci-install-ui.sh)');
  if (!existsSync('/usr/include/gssapi/gssapi.h')) throw new Error('libkrb5-dev is missing: apt-get install -y libkrb5-dev');

  // @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already holds the release archive;
  // an archive around Debian's rg satisfies it.
  const cache = join(tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  const asset = join(cache, RIPGREP_ASSET);
  if (!existsSync(asset)) {
    mkdirSync(cache, { recursive: true });
    const stage = mkdtempSync(join(tmpdir(), 'rg-stage-'));
    // The release archive holds `rg` at its root; the postinstall unpacks it into its own bin/ folder.
    copyFileSync(rg, join(stage, 'rg'));
    chmodSync(join(stage, 'rg'), 0o755);
    execFileSync('tar', ['-czf', asset, '-C', stage, 'rg']);
    rmSync(stage, { recursive: true, force: true });
  }

  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    npm_config_unsafe_perm: 'true', // its postinstall refuses to run as root otherwise
    npm_config_yes: 'true', // node-pty runs `npx node-gyp`
    npm_config_nodedir: '/usr', // node-gyp would fetch Node headers from the internet
    npm_config_build_from_source: 'true', // skip prebuilt-binary downloads
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  execFileSync('npm', ['install', '--prefix', dir, '--no-save', `code-server@${CODE_SERVER_VERSION}`], { stdio: 'inherit', env });
  if (!existsSync(codeServerBin())) throw new Error(`code-server did not install into ${dir}`);
  return dir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  const dir = installCodeServer();
  console.log(`code-server ${CODE_SERVER_VERSION} ready in ${dir} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
