import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeCapture, type PacketContext, type TcpPacketObserver } from '../../src/core/analyzeCapture';
import type { PacketRecord } from '../../src/core/capture/types';
import type { DecodedPacket } from '../../src/core/decode/packet';
import { SequenceAnalyzer, TCP_ANALYSIS_FLAG_NAMES } from '../../src/core/analysis/seqAnalysis';
import { openFileSource } from '../../src/node/fileSource';
import { listCaptures, readTruth, readTruthFrames, sharedCapturesDir } from '../support/shared';

/**
 * Frame-by-frame agreement of the sequence analysis with tshark 4.0.17 on the shared corpus: every
 * tcp.analysis.<flag>, the duplicate-ACK number and frame, and (reported, with their own bar) ack_rtt/acks_frame,
 * bytes_in_flight and the scaled window. Prints precision and recall per flag over the folder and a per-file table
 * of whatever differs.
 */
const dir = sharedCapturesDir();
const BAR = 0.999;

/** Copies what the analyzer says about each frame; runs after it in the same pass. */
class Recorder implements TcpPacketObserver {
  flags = new Uint32Array(1 << 12);
  dupNum = new Uint32Array(1 << 12);
  dupFrame = new Uint32Array(1 << 12);
  acksFrame = new Uint32Array(1 << 12);
  ackRtt = new Float64Array(1 << 12);
  bif = new Float64Array(1 << 12);
  win = new Float64Array(1 << 12);
  factor = new Float64Array(1 << 12);
  seen = new Uint8Array(1 << 12);
  constructor(private readonly a: SequenceAnalyzer) {}
  onTcpPacket(rec: PacketRecord, _d: DecodedPacket, _s: number, _dir: number, _ctx: PacketContext): void {
    const i = rec.frameNumber - 1;
    while (i >= this.flags.length) this.growAll();
    this.flags[i] = this.a.lastFlags;
    this.dupNum[i] = this.a.lastDupAckNum;
    this.dupFrame[i] = this.a.lastDupAckFrame;
    this.acksFrame[i] = this.a.lastAcksFrame;
    this.ackRtt[i] = this.a.lastAckRtt;
    this.bif[i] = this.a.lastBytesInFlight;
    this.win[i] = this.a.lastWindowScaled;
    this.factor[i] = this.a.lastScaleFactor;
    this.seen[i] = 1;
  }
  private growAll(): void {
    const g = <T extends Uint32Array | Float64Array | Uint8Array>(x: T): T => {
      const y = new (x.constructor as new (n: number) => T)(x.length * 2);
      y.set(x as never);
      return y;
    };
    this.flags = g(this.flags);
    this.dupNum = g(this.dupNum);
    this.dupFrame = g(this.dupFrame);
    this.acksFrame = g(this.acksFrame);
    this.ackRtt = g(this.ackRtt);
    this.bif = g(this.bif);
    this.win = g(this.win);
    this.factor = g(this.factor);
    this.seen = g(this.seen);
  }
}

interface TruthStream {
  stream: number;
  flags?: Record<string, number>;
  dir?: { a_to_b?: { rst?: number }; b_to_a?: { rst?: number } };
}

interface Score {
  tp: number;
  fp: number;
  fn: number;
}
const pct = (x: number) => (x * 100).toFixed(2).padStart(6);
const precision = (s: Score) => (s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1);
const recall = (s: Score) => (s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1);

/** Values that tshark prints as a field compared with ours; `undefined` = absent on our side. */
interface ValueCheck {
  name: string;
  agree: number;
  total: number;
  firstDiffs: string[];
}

test('conformance: tcp.analysis flags against tshark truth', { skip: dir ? false : 'no ../shared/captures here (set TCPSCOPE_CAPTURES to run)' }, () => {
  const names = TCP_ANALYSIS_FLAG_NAMES;
  const total: Score[] = names.map(() => ({ tp: 0, fp: 0, fn: 0 }));
  const fileRows: string[] = [];
  const values: Record<string, ValueCheck> = {};
  const check = (file: string, name: string, frame: number, ok: boolean, detail: () => string) => {
    const v = (values[name] ??= { name, agree: 0, total: 0, firstDiffs: [] });
    v.total++;
    if (ok) v.agree++;
    else if (v.firstDiffs.length < 8) v.firstDiffs.push(`${file}#${frame}: ${detail()}`);
  };
  let files = 0;
  let frames = 0;
  let streamsChecked = 0;
  const streamDiffs: string[] = [];
  // Per-stream totals against the truth JSON (tshark -Y counts per tcp.stream).
  const checkStreams = (capture: string, a: SequenceAnalyzer) => {
    const truth = readTruth(dir!, capture);
    const streams = (truth?.streams ?? []) as TruthStream[];
    for (const t of streams) {
      streamsChecked++;
      const ours = a.streamStats(t.stream);
      const want = (k: string) => t.flags?.[k] ?? 0;
      const pairs: Array<[string, number, number]> = [
        ['retransmission', ours.retransmissions, want('retransmission')],
        ['fast_retransmission', ours.fastRetransmissions, want('fast_retransmission')],
        ['spurious_retransmission', ours.spuriousRetransmissions, want('spurious_retransmission')],
        ['out_of_order', ours.outOfOrder, want('out_of_order')],
        ['lost_segment', ours.lostSegments, want('lost_segment')],
        ['ack_lost_segment', ours.ackedUnseen, want('ack_lost_segment')],
        ['duplicate_ack', ours.duplicateAcks, want('duplicate_ack')],
        ['zero_window', ours.zeroWindows, want('zero_window')],
        ['zero_window_probe', ours.zeroWindowProbes, want('zero_window_probe')],
        ['window_full', ours.windowFull, want('window_full')],
        ['window_update', ours.windowUpdates, want('window_update')],
        ['keep_alive', ours.keepAlives, want('keep_alive')],
        ['rst', ours.resets, (t.dir?.a_to_b?.rst ?? 0) + (t.dir?.b_to_a?.rst ?? 0)],
      ];
      const bad = pairs.filter(([, o, w]) => o !== w).map(([k, o, w]) => `${k} ours ${o} tshark ${w}`);
      if (bad.length && streamDiffs.length < 20) streamDiffs.push(`${capture} stream ${t.stream}: ${bad.join(', ')}`);
      else if (bad.length) streamDiffs.push('');
    }
  };
  for (const capture of listCaptures(dir!)) {
    const truth = readTruthFrames(dir!, capture);
    if (!truth) continue;
    files++;
    const analyzer = new SequenceAnalyzer({ keepPerFrame: true });
    const rec = new Recorder(analyzer);
    const src = openFileSource(join(dir!, capture));
    analyzeCapture(src, { observers: [analyzer, rec], keepPacketIndex: true });
    src.close();
    checkStreams(capture, analyzer);
    const perFile: Score[] = names.map(() => ({ tp: 0, fp: 0, fn: 0 }));
    const examples: string[][] = names.map(() => []);
    for (const t of truth) {
      const n = Number(t['frame.number']);
      const i = n - 1;
      frames++;
      const ours = i < rec.seen.length && rec.seen[i] ? rec.flags[i]! : 0;
      if (analyzer.flagsOfFrame(n) !== ours) assert.fail(`${capture}#${n}: per-frame storage disagrees with lastFlags`);
      for (let b = 0; b < names.length; b++) {
        const want = (t[`tcp.analysis.${names[b]}`] ?? '') !== '';
        const got = (ours & (1 << b)) !== 0;
        if (want && got) perFile[b]!.tp++;
        else if (got) perFile[b]!.fp++;
        else if (want) perFile[b]!.fn++;
        if (want !== got && examples[b]!.length < 6) examples[b]!.push(`${got ? '+' : '-'}${n}`);
      }
      if (t['tcp.stream'] === '' || !(i < rec.seen.length && rec.seen[i])) continue;
      const wantDupNum = Number(t['tcp.analysis.duplicate_ack_num'] || 0);
      const wantDupFrame = Number(t['tcp.analysis.duplicate_ack_frame'] || 0);
      check(capture, 'duplicate_ack_num', n, wantDupNum === rec.dupNum[i], () => `ours ${rec.dupNum[i]} tshark ${wantDupNum}`);
      check(capture, 'duplicate_ack_frame', n, wantDupFrame === rec.dupFrame[i], () => `ours ${rec.dupFrame[i]} tshark ${wantDupFrame}`);
      const wantAcks = Number(t['tcp.analysis.acks_frame'] || 0);
      check(capture, 'acks_frame', n, wantAcks === rec.acksFrame[i], () => `ours ${rec.acksFrame[i]} tshark ${wantAcks}`);
      const wantRtt = t['tcp.analysis.ack_rtt'] ? Number(t['tcp.analysis.ack_rtt']) : NaN;
      const gotRtt = rec.ackRtt[i]!;
      const rttOk = wantRtt !== wantRtt ? gotRtt !== gotRtt : Math.abs(wantRtt - gotRtt) < 1.5e-9;
      check(capture, 'ack_rtt', n, rttOk, () => `ours ${gotRtt} tshark ${wantRtt}`);
      const wantBif = Number(t['tcp.analysis.bytes_in_flight'] || 0);
      check(capture, 'bytes_in_flight', n, wantBif === rec.bif[i], () => `ours ${rec.bif[i]} tshark ${wantBif}`);
      if (t['tcp.window_size'] !== '') {
        const wantWin = Number(t['tcp.window_size']);
        check(capture, 'window_size', n, wantWin === rec.win[i], () => `ours ${rec.win[i]} tshark ${wantWin}`);
      }
      const wantFactor = t['tcp.window_size_scalefactor'] === '' ? 0 : Number(t['tcp.window_size_scalefactor']);
      check(capture, 'window_size_scalefactor', n, wantFactor === rec.factor[i], () => `ours ${rec.factor[i]} tshark ${wantFactor}`);
    }
    const diffs: string[] = [];
    for (let b = 0; b < names.length; b++) {
      const s = perFile[b]!;
      total[b]!.tp += s.tp;
      total[b]!.fp += s.fp;
      total[b]!.fn += s.fn;
      if (s.fp || s.fn) diffs.push(`${names[b]} tp=${s.tp} fp=${s.fp} fn=${s.fn} [${examples[b]!.join(' ')}]`);
    }
    if (diffs.length) fileRows.push(`${capture}\n    ${diffs.join('\n    ')}`);
  }

  const lines = [`flags: ${files} captures, ${frames} frames`, `${'flag'.padEnd(26)} ${'tshark'.padStart(7)} ${'ours'.padStart(7)} ${'tp'.padStart(7)} ${'fp'.padStart(5)} ${'fn'.padStart(5)}  precision  recall`];
  for (let b = 0; b < names.length; b++) {
    const s = total[b]!;
    lines.push(
      `${names[b]!.padEnd(26)} ${String(s.tp + s.fn).padStart(7)} ${String(s.tp + s.fp).padStart(7)} ${String(s.tp).padStart(7)} ${String(s.fp).padStart(5)} ${String(s.fn).padStart(5)}    ${pct(precision(s))}%  ${pct(recall(s))}%`,
    );
  }
  lines.push('values (frames where tshark and we agree):');
  for (const v of Object.values(values)) {
    lines.push(`  ${v.name.padEnd(24)} ${v.agree}/${v.total} (${pct(v.agree / v.total)}%)${v.firstDiffs.length ? '\n      ' + v.firstDiffs.join('\n      ') : ''}`);
  }
  lines.push(`per-stream totals: ${streamsChecked - streamDiffs.length}/${streamsChecked} streams agree`, ...streamDiffs.filter(Boolean).map((x) => '  ' + x));
  if (fileRows.length) lines.push('files that differ:', ...fileRows);
  console.log(lines.join('\n'));

  const failing = names.filter((_, b) => precision(total[b]!) < BAR || recall(total[b]!) < BAR);
  assert.deepEqual(failing, [], `flags below ${BAR * 100}% precision or recall: ${failing.join(', ')}`);
  assert.ok(streamDiffs.length <= streamsChecked * (1 - BAR), `${streamDiffs.length} streams with per-stream totals unlike tshark's`);
  for (const name of ['duplicate_ack_num', 'duplicate_ack_frame']) {
    const v = values[name]!;
    assert.ok(v.agree / v.total >= BAR, `${name}: ${v.agree}/${v.total} frames agree`);
  }
});
