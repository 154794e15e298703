import type { CaptureFacts } from '../core/capture/types';
import { linkTypeName } from '../core/decode/linktypes';
import { escapeControls } from '../core/util/text';
import type { CaptureFactsInfo } from '../protocol/messages';

/**
 * The pcapng metadata part of the overview (worker side, no 'vscode'). The reader already bounded every string and
 * list; this picks the first few of each for the panel and escapes control characters, so the webview and the
 * packet list get text that stays on one line and reads as what it is.
 */

export const OVERVIEW_LIMITS = { interfaces: 64, sections: 16, comments: 50, names: 100 } as const;

export function captureFactsInfo(f: CaptureFacts): CaptureFactsInfo {
  const m = f.metadata;
  const t = escapeControls;
  const comments: CaptureFactsInfo['comments'] = [];
  const room = () => comments.length < OVERVIEW_LIMITS.comments;
  for (const s of m.sections) for (const c of s.comments) if (room()) comments.push({ where: `section ${s.index}`, text: t(c) });
  for (const i of f.interfaces) for (const c of i.comments ?? []) if (room()) comments.push({ where: `interface ${i.index}`, text: t(c) });
  for (const c of m.packetComments) {
    if (!room()) break;
    comments.push({ where: `frame ${c.frameNumber}`, frameNumber: c.frameNumber, text: t(c.text) });
  }
  return {
    interfaces: f.interfaces.slice(0, OVERVIEW_LIMITS.interfaces).map((i) => ({
      index: i.index,
      section: i.section,
      name: t(i.name ?? ''),
      description: t(i.description ?? ''),
      linkType: i.linkType,
      linkTypeName: linkTypeName(i.linkType),
      comments: (i.comments ?? []).map(t),
    })),
    interfacesTotal: f.interfaces.length,
    sections: m.sections
      .filter((s) => s.hardware !== undefined || s.os !== undefined || s.application !== undefined)
      .slice(0, OVERVIEW_LIMITS.sections)
      .map((s) => ({ index: s.index, hardware: t(s.hardware ?? ''), os: t(s.os ?? ''), application: t(s.application ?? '') })),
    comments,
    commentsTotal: m.sectionCommentsTotal + m.interfaceCommentsTotal + m.packetCommentsTotal,
    packetCommentsTotal: m.packetCommentsTotal,
    names: m.names.slice(0, OVERVIEW_LIMITS.names).map((n) => ({ address: n.address, names: n.names.map(t) })),
    namesTotal: m.namesTotal,
  };
}

/** Packet comments by frame number, escaped, for the packet list lines (the reader keeps them in frame order). */
export function packetCommentsByFrame(f: CaptureFacts): Map<number, string> {
  const byFrame = new Map<number, string>();
  for (const c of f.metadata.packetComments) {
    const text = escapeControls(c.text);
    const prev = byFrame.get(c.frameNumber);
    byFrame.set(c.frameNumber, prev === undefined ? text : `${prev} | ${text}`);
  }
  return byFrame;
}
