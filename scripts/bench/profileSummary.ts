import { readFileSync } from 'node:fs';

/** Top self-time functions of a V8 .cpuprofile (what `node --cpu-prof` writes). */

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export function topSelfTime(path: string, limit = 20): SelfTime[] {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, CpuNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  if (prof.samples && prof.timeDeltas) {
    // Each sample's time is the delta to the next one.
    for (let i = 0; i < prof.samples.length; i++) {
      const dt = prof.timeDeltas[i + 1] ?? 0;
      selfUs.set(prof.samples[i]!, (selfUs.get(prof.samples[i]!) ?? 0) + Math.max(0, dt));
    }
  } else {
    const per = (prof.endTime - prof.startTime) / Math.max(1, prof.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0));
    for (const n of prof.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * per);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const agg = new Map<string, SelfTime>();
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const file = cf.url.replace(/^.*[\\/]/, '');
    const where = file ? `${file}:${cf.lineNumber + 1}` : '';
    const name = cf.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const e = agg.get(key) ?? { name, where, ms: 0, percent: 0 };
    e.ms += us / 1000;
    agg.set(key, e);
  }
  const rows = [...agg.values()].sort((a, b) => b.ms - a.ms).slice(0, limit);
  for (const r of rows) r.percent = (100 * r.ms * 1000) / total;
  return rows;
}
