import { statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type CaptureAnalysis, type TcpPacketObserver } from '../core/analyzeCapture';
import { analysisFlagNames, type SequenceAnalyzer } from '../core/analysis/seqAnalysis';
import { flagLetters } from '../core/decode/packet';
import { TCP_STATE_NAMES } from '../core/analysis/endpointStates';
import { ZEEK_CONN_STATES } from '../core/analysis/zeek';
import { SEVERITY_RANK, type DiagnosticOptions, type Finding } from '../core/diagnostics/types';
import { FLOW_REPORT_CSV_COLUMNS, FlowReporter, flowReportCsvRow, zeekConnLog } from '../core/export/flowReport';
import { flowSummary } from '../core/export/flows';
import { analyzeFull, type FullAnalysis } from '../core/fullAnalysis';
import { relativeAck, relativeSeq } from '../core/analysis/packetContext';
import { endpointString, formatSecondsBetween, isoTime, secondsBetween } from '../core/util/format';
import { openFileSource } from '../node/fileSource';
import { analyzeFile } from '../node/parallel';
import { FlowDetailBuilder } from './flowDetail';
import type {
  CaptureOverview,
  FindingsPage,
  FlowFacets,
  FlowRow,
  FlowSort,
  FlowsPage,
  FlowsWhere,
  PacketRow,
  PacketsPage,
  TimeFormat,
} from '../protocol/messages';
import { MAX_FINDINGS, MAX_FLOW_PAGE, MAX_PACKET_PAGE } from '../protocol/messages';
import { FlowIndex } from './flowIndex';
import { escapeControls } from '../core/util/text';
import { captureFactsInfo, packetCommentsByFrame } from './captureFacts';

/**
 * What the analysis worker holds for one capture, and the queries the host sends it. Runs in the worker thread
 * (no 'vscode' here): the flow table and the packet window never cross into the extension host, only pages do.
 *
 * Packet list bound: the first `packetLimit` TCP packets of the capture are kept (about 40 bytes each in typed
 * arrays). A flow that lies wholly in that window is listed from it; a flow that reaches past it is listed by a
 * second pass over the file that keeps only that flow's packets (again at most `packetLimit`). The main packet list
 * document therefore never exceeds `packetLimit` lines plus a few header and problem lines, whatever the capture size.
 */

/** Compact per-packet facts, struct-of-arrays. */
class PacketStore {
  count = 0;
  /** Packets seen but not kept because the store was full. */
  dropped = 0;
  frame: Float64Array;
  stream: Int32Array;
  dir: Uint8Array;
  tsSec: Float64Array;
  tsNsec: Uint32Array;
  flags: Uint16Array;
  seq: Uint32Array;
  ack: Uint32Array;
  len: Uint32Array;
  /** Window after scaling, as the CLI and Wireshark's tcp.window_size show it. */
  win: Uint32Array;
  fileOffset: Float64Array;
  /** Wireshark's tcp.analysis verdict bits for the packet (SequenceAnalyzer.lastFlags). */
  analysis: Uint32Array;

  constructor(readonly limit: number) {
    const n = Math.min(limit, 4096);
    this.frame = new Float64Array(n);
    this.stream = new Int32Array(n);
    this.dir = new Uint8Array(n);
    this.tsSec = new Float64Array(n);
    this.tsNsec = new Uint32Array(n);
    this.flags = new Uint16Array(n);
    this.seq = new Uint32Array(n);
    this.ack = new Uint32Array(n);
    this.len = new Uint32Array(n);
    this.win = new Uint32Array(n);
    this.fileOffset = new Float64Array(n);
    this.analysis = new Uint32Array(n);
  }

  observer(onlyStream: number, seq: SequenceAnalyzer): TcpPacketObserver {
    return {
      onTcpPacket: (rec, d, stream, dir, ctx) => {
        if (onlyStream >= 0 && stream !== onlyStream) return;
        if (this.count >= this.limit) {
          this.dropped++;
          return;
        }
        if (this.count === this.frame.length) this.grow();
        const i = this.count++;
        this.frame[i] = rec.frameNumber;
        this.stream[i] = stream;
        this.dir[i] = dir;
        this.tsSec[i] = rec.tsSec;
        this.tsNsec[i] = rec.tsNsec;
        this.flags[i] = d.flags;
        // Relative numbers as the CLI prints them: computed when the packet is seen.
        this.seq[i] = relativeSeq(ctx, d.seq);
        this.ack[i] = relativeAck(ctx, d.flags, d.ack);
        this.len[i] = d.payloadLength;
        this.win[i] = seq.lastWindowScaled;
        this.fileOffset[i] = rec.fileOffset;
        this.analysis[i] = seq.lastFlags;
      },
    };
  }

  private grow(): void {
    const n = Math.min(this.limit, this.frame.length * 2);
    const g = <T extends Float64Array | Int32Array | Uint8Array | Uint32Array | Uint16Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.frame = g(this.frame);
    this.stream = g(this.stream);
    this.dir = g(this.dir);
    this.tsSec = g(this.tsSec);
    this.tsNsec = g(this.tsNsec);
    this.flags = g(this.flags);
    this.seq = g(this.seq);
    this.ack = g(this.ack);
    this.len = g(this.len);
    this.win = g(this.win);
    this.fileOffset = g(this.fileOffset);
    this.analysis = g(this.analysis);
  }
}

export interface PacketListText {
  text: string;
  /** Frame number shown on each line, 0 for header and footer lines. */
  lineFrames: Int32Array;
  /** Stream of each line, -1 when the line is not a TCP packet. */
  lineStreams: Int32Array;
  /** Problems anchored to lines of this text (whole-capture list only): what the diagnostics publish. */
  findings: PacketListFinding[];
}

export interface PacketListFinding {
  line: number;
  /** Stable dotted code: capture.* from the reader, packet.* for packets the decoder rejected. */
  code: string;
  message: string;
  severity: 'error' | 'warning' | 'information';
  related?: { line: number; message: string };
  moreRelated?: { line: number; message: string }[];
}

export interface AnalyzeProgress {
  bytesRead: number;
  totalBytes: number;
}

export class CaptureModel {
  readonly full: FullAnalysis;
  readonly analysis: CaptureAnalysis;
  private reporter: FlowReporter | null = null;
  private readonly window: PacketStore;
  /** Positions in `window` grouped by stream: window indexes of stream s are byStream[start[s]..start[s+1]). */
  private streamStart: Int32Array;
  private byStream: Int32Array;
  private readonly fileName: string;
  private readonly fileBytes: number;
  private index: FlowIndex | null = null;
  private flowCache: { stream: number; store: PacketStore; positions: Int32Array } | null = null;
  private detailBuilder: FlowDetailBuilder | null = null;

  constructor(
    readonly path: string,
    readonly packetLimit: number,
    onProgress?: (p: AnalyzeProgress) => void,
    /** Rule thresholds (the tcpscope.diagnostics.* settings); defaults for what is missing. */
    diagnostics: Partial<DiagnosticOptions> = {},
  ) {
    // A file name may hold a newline, which would forge a line in the packet list.
    this.fileName = escapeControls(basename(path));
    this.window = new PacketStore(packetLimit);
    this.fileBytes = statSync(path).size;
    // Two threads: this worker analyses while a reader thread of its own decodes (src/node/parallel.ts).
    this.full = analyzeFile(path, {
      observers: ({ seq }) => [this.window.observer(-1, seq)],
      onProgress: onProgress && ((bytesRead) => onProgress({ bytesRead, totalBytes: this.fileBytes })),
      diagnostics,
    });
    this.analysis = this.full.capture;
    [this.streamStart, this.byStream] = groupByStream(this.window, this.analysis.flows.count);
  }

  /** Flow detail (ladder, endpoint states) and capture timeline queries: src/extension/flowDetail.ts. */
  get details(): FlowDetailBuilder {
    this.detailBuilder ??= new FlowDetailBuilder({ full: this.full, packetsOf: (s) => this.flowPackets(s), clientServer: (s) => this.clientServer(s) });
    return this.detailBuilder;
  }

  get unusableReason(): string | null {
    return this.analysis.facts.unusable?.message ?? null;
  }

  overview(): CaptureOverview {
    const a = this.analysis;
    const f = a.facts;
    const first = a.firstSec + a.firstNsec / 1e9;
    const last = a.lastSec + a.lastNsec / 1e9;
    return {
      fileName: this.fileName,
      fileBytes: this.fileBytes,
      format: f.format ?? 'unknown',
      version: f.version ?? '',
      byteOrder: f.byteOrder ?? '',
      sections: f.sections,
      interfaces: f.interfaces.length,
      linkTypes: a.linkTypes.map((l) => ({ ...l })),
      packets: f.packets,
      tcpPackets: a.tcpPackets,
      flows: a.flows.count,
      ipFragments: a.ipFragments,
      firstEpochSeconds: f.packets ? first : 0,
      lastEpochSeconds: f.packets ? last : 0,
      durationSeconds: f.packets ? secondsBetween(a.firstSec, a.firstNsec, a.lastSec, a.lastNsec) : 0,
      errors: f.errors.map((e) => ({
        code: e.code,
        message: e.message,
        offset: e.offset,
        fatal: e.fatal,
        ...(e.frameNumber !== undefined ? { frameNumber: e.frameNumber } : {}),
      })),
      problems: { malformed: a.problems.malformed, truncated: a.problems.truncated, unsupportedLink: a.problems.unsupportedLink },
      packetWindow: { listed: this.window.count, total: this.window.count + this.window.dropped, limit: this.packetLimit },
      captureFacts: captureFactsInfo(f),
    };
  }

  // ---------- flows ----------

  private flowRow(s: number): FlowRow {
    const f = flowSummary(this.analysis, s);
    const full = this.full;
    const ix = this.flowIndex;
    const irtt = full.seq.irtt(s);
    return {
      stream: f.stream,
      client: f.client,
      server: f.server,
      packets: f.packets,
      bytes: f.bytes,
      clientPackets: f.clientPackets,
      serverPackets: f.serverPackets,
      startSeconds: f.startTime,
      durationSeconds: f.duration,
      completeness: f.completeness,
      firstFrame: f.firstFrame,
      lastFrame: f.lastFrame,
      clientState: TCP_STATE_NAMES[ix.clientState[s]!]!,
      serverState: TCP_STATE_NAMES[ix.serverState[s]!]!,
      connState: ZEEK_CONN_STATES[ix.connState[s]!]!,
      history: full.zeek.history(s),
      retransmissions: full.seq.streamStats(s).retransmissions,
      rttMs: full.rtt.stats(s)?.medianMs ?? null,
      irttMs: irtt === irtt ? Math.round(irtt * 1e6) / 1000 : null,
      findings: ix.findingsOf.get(s)?.slice() ?? [],
      joinedMidStream: ix.joined[s] === 1,
    };
  }

  /** Client and server endpoint text of a stream. */
  clientServer(s: number): [string, string] {
    const f = this.analysis.flows;
    const c = f.clientDir[s]!;
    const cl = f.endpoint(s, c);
    const sv = f.endpoint(s, c ^ 1);
    return [endpointString(cl.version, cl.words, cl.port), endpointString(sv.version, sv.words, sv.port)];
  }

  /** The flows table's typed columns, built on the first flows query (not before the overview is posted). */
  get flowIndex(): FlowIndex {
    this.index ??= new FlowIndex(this.full);
    return this.index;
  }

  flows(offset: number, count: number, sort: FlowSort, filter: string, where?: FlowsWhere): FlowsPage {
    const v = this.flowIndex.view(sort, filter, where);
    const total = v ? v.length : this.analysis.flows.count;
    const start = clamp(offset, 0, total);
    const end = Math.min(total, start + clamp(count, 0, MAX_FLOW_PAGE));
    const rows: FlowRow[] = [];
    for (let i = start; i < end; i++) rows.push(this.flowRow(v ? v[i]! : i));
    return { total, offset: start, rows };
  }

  locateFlow(stream: number, sort: FlowSort, filter: string, where?: FlowsWhere): number {
    return this.flowIndex.locate(stream, sort, filter, where);
  }

  flowFacets(): FlowFacets {
    return this.flowIndex.facets();
  }

  /** The findings as plain data, most severe first (the analysis' order within a severity). */
  findings(): FindingsPage {
    const all = (this.full.findings as Finding[]).map((f, i) => ({ f, i }));
    all.sort((x, y) => SEVERITY_RANK[y.f.severity] - SEVERITY_RANK[x.f.severity] || x.i - y.i);
    return {
      total: all.length,
      findings: all.slice(0, MAX_FINDINGS).map(({ f }) => ({
        code: f.code,
        severity: f.severity,
        category: f.category,
        message: f.message,
        explanation: f.explanation,
        ...(f.endpoint !== undefined ? { endpoint: f.endpoint } : {}),
        streams: f.streams.slice(),
        frames: f.frames.slice(),
        ...(f.window ? { window: { start: f.window.start, end: f.window.end } } : {}),
        metrics: { ...f.metrics },
      })),
    };
  }

  // ---------- packets ----------

  /** The packets of one flow: from the window when the flow lies inside it, else from a filtered second pass. */
  private flowPackets(stream: number): { store: PacketStore; positions: Int32Array; complete: boolean } {
    const a = this.analysis;
    if (stream < 0 || stream >= a.flows.count) return { store: this.window, positions: new Int32Array(0), complete: true };
    const lastListed = this.window.count ? this.window.frame[this.window.count - 1]! : 0;
    const inWindow = this.window.dropped === 0 || a.flows.lastFrame[stream]! <= lastListed;
    if (inWindow) {
      return { store: this.window, positions: this.byStream.subarray(this.streamStart[stream]!, this.streamStart[stream + 1]!), complete: true };
    }
    if (this.flowCache?.stream !== stream) {
      const store = new PacketStore(this.packetLimit);
      const source = openFileSource(this.path);
      try {
        analyzeFull(source, { observers: ({ seq }) => [store.observer(stream, seq)] });
      } finally {
        source.close();
      }
      this.flowCache = { stream, store, positions: Int32Array.from({ length: store.count }, (_, i) => i) };
    }
    const c = this.flowCache;
    return { store: c.store, positions: c.positions, complete: c.store.dropped === 0 };
  }

  packets(stream: number, offset: number, count: number): PacketsPage {
    const { store, positions, complete } = this.flowPackets(stream);
    const total = positions.length;
    const start = clamp(offset, 0, total);
    const end = Math.min(total, start + clamp(count, 0, MAX_PACKET_PAGE));
    const rows: PacketRow[] = [];
    for (let i = start; i < end; i++) rows.push(this.packetRow(store, positions[i]!));
    return { total, offset: start, rows, complete };
  }

  private packetRow(st: PacketStore, i: number): PacketRow {
    const s = st.stream[i]!;
    const dir = st.dir[i]! as 0 | 1;
    const [src, dst] = this.directionEndpoints(s, dir);
    return {
      frameNumber: st.frame[i]!,
      stream: s,
      dir,
      timeSeconds: secondsBetween(this.analysis.refSec, this.analysis.refNsec, st.tsSec[i]!, st.tsNsec[i]!),
      src,
      dst,
      flags: flagLetters(st.flags[i]!),
      seq: st.seq[i]!,
      ack: st.ack[i]!,
      len: st.len[i]!,
      win: st.win[i]!,
      analysis: analysisFlagNames(st.analysis[i]!),
    };
  }

  private endpointCache = new Map<number, [string, string]>();
  private directionEndpoints(stream: number, dir: number): [string, string] {
    let ab = this.endpointCache.get(stream);
    if (!ab) {
      const f = this.analysis.flows;
      const a = f.endpoint(stream, 0);
      const b = f.endpoint(stream, 1);
      ab = [endpointString(a.version, a.words, a.port), endpointString(b.version, b.words, b.port)];
      if (this.endpointCache.size > 10000) this.endpointCache.clear();
      this.endpointCache.set(stream, ab);
    }
    return dir === 0 ? [ab[0], ab[1]] : [ab[1], ab[0]];
  }

  // ---------- packet list document ----------

  /**
   * The text of a packet list: every kept TCP packet (of one stream, or of the whole window when stream < 0), plus,
   * for the whole capture, a line for each capture error and each example of a problem packet, in frame order, so
   * diagnostics have a line to point at.
   */
  packetListText(stream: number, timeFormat: TimeFormat): PacketListText {
    const a = this.analysis;
    const lines: string[] = [];
    const frames: number[] = [];
    const streams: number[] = [];
    const push = (line: string, frame: number, s: number) => {
      lines.push(line);
      frames.push(frame);
      streams.push(s);
    };
    const timeText = (sec: number, nsec: number) =>
      timeFormat === 'absolute' ? isoTime(sec, nsec) : formatSecondsBetween(a.refSec, a.refNsec, sec, nsec, 6);
    const timeWidth = timeFormat === 'absolute' ? 30 : 14;

    let store: PacketStore;
    let positions: ArrayLike<number>;
    let complete: boolean;
    if (stream >= 0) {
      ({ store, positions, complete } = this.flowPackets(stream));
      const [c, s] = stream < a.flows.count ? this.clientServer(stream) : ['?', '?'];
      push(`# ${this.fileName}: TCP stream ${stream} (${c} -> ${s}), ${positions.length} packets  [Wireshark: tcp.stream eq ${stream}]`, 0, stream);
    } else {
      store = this.window;
      positions = { length: store.count } as ArrayLike<number>;
      complete = store.dropped === 0;
      const shown = complete ? `${store.count} TCP packets` : `first ${store.count} of ${a.tcpPackets} TCP packets`;
      push(`# ${this.fileName}: ${a.facts.packets} packets, ${shown} in ${a.flows.count} flows`, 0, -1);
    }
    push(`# ${'frame'.padStart(7)} ${'time'.padStart(timeWidth)}  source -> destination  [flags] seq ack len win  stream`, 0, -1);

    // Problem and error lines merged in frame order (whole-capture list only).
    type Extra = { key: number; text: string; frame: number; finding: Omit<PacketListFinding, 'line'> };
    const extras: Extra[] = [];
    if (stream < 0) {
      const lastListed = store.count ? store.frame[store.count - 1]! : Infinity;
      for (const p of a.problems.examples) {
        if (!complete && p.frameNumber > lastListed) continue;
        const what = p.kind === 'unsupported_link' ? 'unsupported link type' : p.kind === 'truncated' ? 'cut by snaplen' : `malformed ${p.layer}`;
        extras.push({
          key: p.frameNumber,
          frame: p.frameNumber,
          text: `${String(p.frameNumber).padStart(9)} ${''.padStart(timeWidth)}  ! ${what}: ${p.reason}`,
          finding: {
            code: `packet.${p.kind}`,
            message: `frame ${p.frameNumber}: ${what}: ${p.reason}`,
            // A snaplen cut is how the capture was taken, not damage (tier 4): information only.
            severity: p.kind === 'truncated' ? 'information' : 'warning',
            related: { line: 0, message: problemTotals(a.problems) },
          },
        });
      }
      for (const e of a.facts.errors) {
        const key = e.frameNumber ?? frameAfterOffset(store, e.offset);
        extras.push({
          key: key - 0.5,
          frame: e.frameNumber ?? 0,
          text: `${'!'.padStart(9)} ${''.padStart(timeWidth)}  capture error at byte ${e.offset}: ${e.message}`,
          finding: {
            code: e.code,
            message: `${e.message} (at byte ${e.offset}${e.fatal ? '; nothing after it was read' : ''})`,
            severity: e.fatal ? 'error' : 'warning',
          },
        });
      }
      extras.sort((x, y) => x.key - y.key);
    }

    const findings: PacketListFinding[] = [];
    let lastPacketLine = -1;
    let lastPacketFrame = 0;
    const pushExtra = (e: Extra) => {
      const f: PacketListFinding = { line: lines.length, ...e.finding };
      // A damaged record: point at the last packet that was read whole before it.
      if (!f.related && lastPacketLine >= 0) f.related = { line: lastPacketLine, message: `last packet read before the damage: frame ${lastPacketFrame}` };
      findings.push(f);
      push(e.text, e.frame, -1);
    };
    const comments = a.facts.metadata.packetCommentsTotal ? packetCommentsByFrame(a.facts) : null;
    let x = 0;
    for (let j = 0; j < positions.length; j++) {
      const i = stream >= 0 ? (positions as Int32Array)[j]! : j;
      const frame = store.frame[i]!;
      while (x < extras.length && extras[x]!.key < frame) pushExtra(extras[x++]!);
      lastPacketLine = lines.length;
      lastPacketFrame = frame;
      const s = store.stream[i]!;
      const [src, dst] = this.directionEndpoints(s, store.dir[i]!);
      const ack = store.ack[i]!;
      push(
        `${String(frame).padStart(9)} ${timeText(store.tsSec[i]!, store.tsNsec[i]!).padStart(timeWidth)}  ${src} -> ${dst}  [${flagLetters(store.flags[i]!)}] seq=${store.seq[i]} ack=${ack} len=${store.len[i]} win=${store.win[i]}  stream ${s}${analysisText(store.analysis[i]!)}${commentText(comments, frame)}`,
        frame,
        s,
      );
    }
    while (x < extras.length) pushExtra(extras[x++]!);
    if (stream < 0) findings.push(...this.tcpFindings(frames, streams));
    if (!complete) {
      push(
        `# ... ${store.dropped} more TCP packets not listed: the list keeps the first ${store.limit} (setting tcpscope.packetList.limit). ` +
          `A flow's own packet list (command "tcpscope: Open Packet List for Flow") shows flows beyond this window.`,
        0,
        -1,
      );
    }
    return { text: lines.join('\n') + '\n', lineFrames: Int32Array.from(frames), lineStreams: Int32Array.from(streams), findings };
  }

  /**
   * The analysis findings (retransmission storms, CLOSE_WAIT leaks...) anchored on the packet that proves them
   * when the list shows it, else on the flow's first listed packet, else on the title line; the other proving
   * frames become related information.
   */
  private tcpFindings(frames: number[], streams: number[]): PacketListFinding[] {
    const lineOfFrame = new Map<number, number>();
    const lineOfStream = new Map<number, number>();
    for (let i = 0; i < frames.length; i++) {
      if (frames[i]! > 0 && !lineOfFrame.has(frames[i]!)) lineOfFrame.set(frames[i]!, i);
      if (streams[i]! >= 0 && !lineOfStream.has(streams[i]!)) lineOfStream.set(streams[i]!, i);
    }
    // These summarise what the list already reports line by line (each damaged record, each problem packet).
    const perLine = new Set(['capture.truncated', 'capture.snaplen', 'packet.malformed', ...this.analysis.facts.errors.map((e) => e.code)]);
    const out: PacketListFinding[] = [];
    for (const f of this.full.findings as Finding[]) {
      if (perLine.has(f.code)) continue;
      const anchorFrame = f.frames.find((fr) => lineOfFrame.has(fr));
      const line = anchorFrame !== undefined ? lineOfFrame.get(anchorFrame)! : (f.streams.map((s) => lineOfStream.get(s)).find((l) => l !== undefined) ?? 0);
      const related = f.frames.filter((fr) => fr !== anchorFrame && lineOfFrame.has(fr)).slice(0, 8);
      out.push({
        line,
        code: f.code,
        message: f.message,
        severity: f.severity === 'info' ? 'information' : f.severity,
        ...(related.length ? { related: { line: lineOfFrame.get(related[0]!)!, message: `also frame ${related.join(', ')}` } } : {}),
        ...(related.length > 1 ? { moreRelated: related.slice(1).map((fr) => ({ line: lineOfFrame.get(fr)!, message: `frame ${fr}` })) } : {}),
      });
    }
    return out;
  }

  // ---------- export ----------

  /** Writes the flows exactly as `tcpscope flows --format csv|json|zeek` prints them. */
  exportFlows(format: 'csv' | 'json' | 'zeek', target: string): void {
    this.reporter ??= new FlowReporter(this.full);
    const reporter = this.reporter;
    const count = this.analysis.flows.count;
    const parts: string[] = [];
    if (format === 'zeek') {
      parts.push(zeekConnLog(this.full));
    } else if (format === 'csv') {
      parts.push(FLOW_REPORT_CSV_COLUMNS.join(',') + '\n');
      for (let s = 0; s < count; s++) parts.push(flowReportCsvRow(reporter.report(s)) + '\n');
    } else {
      parts.push('[');
      for (let s = 0; s < count; s++) parts.push((s ? ',\n  ' : '\n  ') + JSON.stringify(reporter.report(s)));
      parts.push(count ? '\n]\n' : ']\n');
    }
    writeFileSync(target, parts.join(''));
  }
}

/** pcapng packet comment, already escaped to one line. */
function commentText(comments: Map<number, string> | null, frame: number): string {
  const c = comments?.get(frame);
  return c === undefined ? '' : `  # ${c}`;
}

function analysisText(mask: number): string {
  return mask ? `  [${analysisFlagNames(mask).join(', ')}]` : '';
}

function problemTotals(p: CaptureAnalysis['problems']): string {
  const shown = p.malformed + p.truncated + p.unsupportedLink > p.examples.length ? ` (the first ${p.examples.length} are listed)` : '';
  return `this capture has ${p.malformed} malformed packets, ${p.truncated} cut by the snaplen, ${p.unsupportedLink} of unsupported link types${shown}`;
}

function groupByStream(w: PacketStore, flowCount: number): [Int32Array, Int32Array] {
  const start = new Int32Array(flowCount + 1);
  for (let i = 0; i < w.count; i++) start[w.stream[i]! + 1]!++;
  for (let s = 0; s < flowCount; s++) start[s + 1]! += start[s]!;
  const next = start.slice(0, flowCount);
  const order = new Int32Array(w.count);
  for (let i = 0; i < w.count; i++) order[next[w.stream[i]!]!++] = i;
  return [start, order];
}

/** Frame number of the first kept packet at or after a file offset (Infinity when none). */
function frameAfterOffset(w: PacketStore, offset: number): number {
  let lo = 0;
  let hi = w.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (w.fileOffset[mid]! < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo < w.count ? w.frame[lo]! : Infinity;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(Number.isFinite(x) ? x : 0)));
}
