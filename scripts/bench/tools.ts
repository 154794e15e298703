import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Full path of an executable on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ToolRun {
  seconds: number;
  maxRssKB: number | null;
  exitCode: number | null;
  /** How peak RSS was measured. */
  rssBy: 'time -v' | '/proc VmHWM' | 'none';
  stderrTail: string;
}

const TIME = '/usr/bin/time';

/**
 * Runs an external tool with its stdout thrown away. Peak RSS comes from GNU time -v when present (exact, from
 * wait4); otherwise from polling the child's VmHWM, which can miss a final spike but is close for these tools.
 */
export function runTool(bin: string, args: string[]): Promise<ToolRun> {
  let useTime = false;
  try {
    accessSync(TIME, constants.X_OK);
    useTime = true;
  } catch {
    // fall back to polling
  }
  const started = performance.now();
  const child = useTime
    ? spawn(TIME, ['-v', bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-65536);
  });
  let polledKB: number | null = null;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKB = Math.max(polledKB ?? 0, Number(m[1]));
        } catch {
          // gone, or no /proc
        }
      }, 50);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      if (poll) clearInterval(poll);
      reject(e);
    });
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (poll) clearInterval(poll);
      let maxRssKB = polledKB;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(stderr);
        maxRssKB = m ? Number(m[1]) : null;
      }
      resolve({
        seconds,
        maxRssKB,
        exitCode: code,
        rssBy: useTime ? 'time -v' : maxRssKB !== null ? '/proc VmHWM' : 'none',
        stderrTail: stderr.slice(-2000),
      });
    });
  });
}
