import * as vscode from 'vscode';
import type { CaptureDocument } from './captureDocument';
import type { PacketListFinding } from './captureModel';
import { packetListUri, type PacketListProvider } from './packetList';

const SEVERITY: Record<PacketListFinding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/**
 * Publishes a capture's problems on the lines of its packet list, so the Problems panel lists them and a click
 * opens the packet list on the packet. An unusable file gets one error on the capture file itself.
 */
export class CaptureDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('tcpscope');

  constructor(private readonly packetLists: PacketListProvider) {}

  async publish(doc: CaptureDocument): Promise<void> {
    const listUri = packetListUri(doc.uri);
    const s = doc.state;
    this.collection.delete(listUri);
    this.collection.delete(doc.uri);
    if (s.state === 'failed') {
      if (s.unusable) {
        const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), `not a readable capture: ${s.reason}`, vscode.DiagnosticSeverity.Error);
        d.source = 'tcpscope';
        d.code = 'capture.unusable';
        this.collection.set(doc.uri, [d]);
      }
      return;
    }
    if (s.state !== 'ready') return;
    const map = await this.packetLists.lineMap(listUri, doc);
    const diagnostics = map.findings.map((f) => {
      const d = new vscode.Diagnostic(new vscode.Range(f.line, 0, f.line, Number.MAX_SAFE_INTEGER), f.message, SEVERITY[f.severity]);
      d.source = 'tcpscope';
      d.code = f.code;
      const related = f.related ? [f.related, ...(f.moreRelated ?? [])] : [];
      if (related.length) {
        d.relatedInformation = related.map(
          (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(listUri, new vscode.Range(r.line, 0, r.line, 0)), r.message),
        );
      }
      return d;
    });
    this.collection.set(listUri, diagnostics);
  }

  clear(doc: CaptureDocument): void {
    this.collection.delete(packetListUri(doc.uri));
    this.collection.delete(doc.uri);
  }

  dispose(): void {
    this.collection.dispose();
  }
}
