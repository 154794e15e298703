// Packages the extension with vsce from a folder holding package.json and dist/ (the repo by default).
// Usage: node scripts/package-vsix.mjs [--cwd <folder>] [--out <file.vsix>]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function packageVsix(cwd = repo, out = join(repo, 'out', 'tcpscope.vsix')) {
  mkdirSync(dirname(out), { recursive: true });
  const vsce = join(repo, 'node_modules', '@vscode', 'vsce', 'vsce');
  // No repository URL yet: keep README's relative links as they are instead of failing on them.
  const args = [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out];
  // No LICENSE file in the repo yet: vsce would stop and ask.
  if (!existsSync(join(cwd, 'LICENSE')) && !existsSync(join(cwd, 'LICENSE.md'))) args.push('--skip-license');
  // Dependencies are bundled by esbuild, so vsce need not walk node_modules (--no-dependencies).
  execFileSync(process.execPath, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const cwd = resolve(arg('--cwd') ?? repo);
  const out = resolve(arg('--out') ?? join(repo, 'out', 'tcpscope.vsix'));
  console.log(packageVsix(cwd, out));
}
