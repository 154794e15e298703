import * as vscode from 'vscode';
import type { CaptureDocument } from './captureDocument';
import type { PacketListFinding, PacketListText } from './captureModel';
import { timeFormatSetting } from './settings';

/**
 * Packet lists are read-only text documents under their own scheme, one line per packet, so that everything an
 * editor offers works on them: search, folding, copy, Go to Line, and diagnostics in the Problems panel that land on
 * a packet's line.
 *
 * `tcpscope-packets:/dir/capture.pcapng.packets?capture=<capture uri>` lists the whole capture (bounded: the first
 * `tcpscope.packetList.limit` TCP packets, see CaptureModel); `...capture.pcapng (stream 3).packets?...&stream=3`
 * lists one flow. The capture's URI is in the query so a restored editor finds its capture again.
 */
export const PACKETS_SCHEME = 'tcpscope-packets';

export function packetListUri(capture: vscode.Uri, stream = -1): vscode.Uri {
  const query = new URLSearchParams({ capture: capture.toString() });
  if (stream >= 0) query.set('stream', String(stream));
  return vscode.Uri.from({
    scheme: PACKETS_SCHEME,
    path: capture.path + (stream >= 0 ? ` (stream ${stream}).packets` : '.packets'),
    query: query.toString(),
  });
}

export function parsePacketListUri(uri: vscode.Uri): { capture: vscode.Uri; stream: number } | null {
  if (uri.scheme !== PACKETS_SCHEME) return null;
  const q = new URLSearchParams(uri.query);
  const capture = q.get('capture');
  if (!capture) return null;
  const stream = q.has('stream') ? Number(q.get('stream')) : -1;
  return { capture: vscode.Uri.parse(capture, true), stream: Number.isInteger(stream) ? stream : -1 };
}

/** Where each line of a packet list points. */
export class LineMap {
  private frameToLine: Map<number, number> | null = null;
  constructor(
    readonly lineFrames: Int32Array,
    readonly lineStreams: Int32Array,
    readonly findings: PacketListFinding[],
  ) {}

  lineOfFrame(frame: number): number {
    if (!this.frameToLine) {
      this.frameToLine = new Map();
      for (let i = 0; i < this.lineFrames.length; i++) {
        const f = this.lineFrames[i]!;
        if (f > 0 && this.lineStreams[i]! >= 0 && !this.frameToLine.has(f)) this.frameToLine.set(f, i);
      }
    }
    return this.frameToLine.get(frame) ?? -1;
  }

  firstLineOfStream(stream: number): number {
    return this.lineStreams.indexOf(stream);
  }

  at(line: number): { frameNumber: number; stream: number } {
    return { frameNumber: this.lineFrames[line] ?? 0, stream: this.lineStreams[line] ?? -1 };
  }
}

export interface CaptureLookup {
  /** The live document of a capture, opening (and analysing) it when needed; the caller owns one reference. */
  acquire(capture: vscode.Uri): CaptureDocument;
}

export class PacketListProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly onDidChangeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.onDidChangeEmitter.event;
  private readonly maps = new Map<string, Promise<LineMap>>();
  /** References held on captures for open packet list documents. */
  private readonly held = new Map<string, CaptureDocument>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly captures: CaptureLookup) {
    this.disposables.push(
      vscode.workspace.onDidCloseTextDocument((d) => {
        const key = d.uri.toString();
        this.maps.delete(key);
        const held = this.held.get(key);
        if (held) {
          this.held.delete(key);
          held.dispose();
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('tcpscope.packetList.timeFormat')) this.refreshAll();
      }),
    );
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parsed = parsePacketListUri(uri);
    if (!parsed) return '# not a tcpscope packet list URI\n';
    const key = uri.toString();
    let doc = this.held.get(key);
    if (!doc) {
      doc = this.captures.acquire(parsed.capture);
      this.held.set(key, doc);
    }
    await doc.whenSettled();
    const s = doc.state;
    if (s.state === 'failed') {
      this.maps.set(key, Promise.resolve(new LineMap(new Int32Array(1), Int32Array.of(-1), [])));
      return `# ${s.fileName}: ${s.reason}\n`;
    }
    const listing = await this.listing(doc, parsed.stream);
    this.maps.set(key, Promise.resolve(toLineMap(listing)));
    return listing.text;
  }

  private async listing(doc: CaptureDocument, stream: number, withText = true): Promise<PacketListText> {
    return doc.analysis().request('packetList', { stream, timeFormat: timeFormatSetting(), withText });
  }

  /** The line map of a packet list, computing the listing when no editor has shown it yet. */
  lineMap(uri: vscode.Uri, doc: CaptureDocument): Promise<LineMap> {
    const key = uri.toString();
    let m = this.maps.get(key);
    if (!m) {
      const parsed = parsePacketListUri(uri);
      // Diagnostics and reveals need lines, not text: copying a 100 000-line text onto this thread would stall it.
      m = this.listing(doc, parsed?.stream ?? -1, false).then(toLineMap);
      m.catch(() => this.maps.delete(key));
      this.maps.set(key, m);
    }
    return m;
  }

  /** Known line map only (for cursor tracking; never starts work). */
  knownLineMap(uri: vscode.Uri): Promise<LineMap> | undefined {
    return this.maps.get(uri.toString());
  }

  /** The capture was analysed again: every packet list of it changes. */
  refreshCapture(capture: vscode.Uri): void {
    const c = capture.toString();
    for (const d of vscode.workspace.textDocuments) {
      if (parsePacketListUri(d.uri)?.capture.toString() === c) {
        this.maps.delete(d.uri.toString());
        this.onDidChangeEmitter.fire(d.uri);
      }
    }
    for (const key of [...this.maps.keys()]) {
      const p = parsePacketListUri(vscode.Uri.parse(key, true));
      if (p?.capture.toString() === c) this.maps.delete(key);
    }
  }

  private refreshAll(): void {
    for (const d of vscode.workspace.textDocuments) {
      if (d.uri.scheme === PACKETS_SCHEME) this.onDidChangeEmitter.fire(d.uri);
    }
  }

  dispose(): void {
    this.onDidChangeEmitter.dispose();
    for (const d of this.disposables) d.dispose();
    for (const doc of this.held.values()) doc.dispose();
    this.held.clear();
  }
}

function toLineMap(l: PacketListText): LineMap {
  return new LineMap(l.lineFrames, l.lineStreams, l.findings);
}
