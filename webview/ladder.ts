import './ladder.css';
import type { FlowDetail, LadderPacket, LadderPage, LadderRole } from '../src/protocol/messages';
import { clear, el } from './dom';
import { svg } from './svg';

/**
 * The flow's ladder diagram (Wireshark's flow graph, the textbook handshake/teardown picture): the client's and
 * the server's columns, one arrow per packet with flags, relative seq/ack, length and time since the flow began,
 * the packet's role (SYN retry, FIN active close, RST...) and its analysis verdicts in colour and words. Long flows
 * show their first and last packets with a gap marker that pages through the middle.
 *
 * One SVG; every label is set with textContent. Arrows are a roving-tabindex group: one tab stop, arrow keys move,
 * Enter or a click reveals the frame in the packet list.
 */

export interface LadderOptions {
  loadPage(stream: number, offset: number, count: number): Promise<LadderPage>;
  reveal(stream: number, frameNumber: number): void;
  onError(e: unknown): void;
}

/** Packets fetched per click on a gap marker. */
export const LADDER_STEP = 40;

const TIME_X = 6;
/** The diagram follows the panel's width between these (narrow panels scroll sideways). */
const MIN_W = 480;
const MAX_W = 1000;
/**
 * Left of the client column: frame and time (TIME_W wide), then the client's state changes; right of the server's:
 * its state changes. Both margins fit the longest such label of the flow (and half of the column's address), so a
 * narrow panel keeps every label instead of cutting the server's off.
 */
const MIN_CLIENT_X = 150;
const MIN_RIGHT_MARGIN = 90;
const TIME_W = 62;
/** Least room between the columns for the labels over the arrows. */
const MIN_ROOM = 140;
/** Monospace advance of the 11px labels, to decide when a label needs two lines. */
const CHAR_W = 6.7;
/** A second line under the arrow for the numbers when the label is wider than the columns. */
const LINE_H = 16;
const HEAD_H = 44;
const ROW_H = 38;
/** Extra room under an arrow for its analysis verdicts. */
const ANALYSIS_H = 12;
const GAP_H = 62;

const ROLE_TEXT: Record<LadderRole, (p: LadderPacket) => string> = {
  syn: () => 'SYN',
  'syn-retry': (p) => `SYN retry #${p.retry ?? 1}`,
  'syn-ack': () => 'SYN-ACK',
  'syn-ack-retry': (p) => `SYN-ACK retry #${p.retry ?? 1}`,
  'handshake-ack': () => 'final ACK (handshake)',
  'fin-active': () => 'FIN (active close)',
  'fin-passive': () => 'FIN (passive close)',
  'fin-simultaneous': () => 'FIN (simultaneous close)',
  'fin-retry': () => 'FIN again',
  'close-ack': () => 'last ACK',
  rst: () => 'RST (abort)',
  'rst-refused': () => 'RST (refused)',
};

function roleClass(r: LadderRole): string {
  if (r.startsWith('rst')) return 'role-reset';
  if (r.startsWith('fin') || r === 'close-ack') return 'role-close';
  return r.endsWith('retry') ? 'role-handshake role-retry' : 'role-handshake';
}

const ANALYSIS_ERROR = new Set(['retransmission', 'fast_retransmission', 'spurious_retransmission', 'lost_segment', 'zero_window']);
const ANALYSIS_INFO = new Set(['window_update', 'keep_alive', 'keep_alive_ack']);

/** error, warning or info, by the worst verdict of the packet ('' when none). */
export function analysisSeverity(names: readonly string[]): '' | 'error' | 'warning' | 'info' {
  if (!names.length) return '';
  if (names.some((n) => ANALYSIS_ERROR.has(n))) return 'error';
  if (names.some((n) => !ANALYSIS_INFO.has(n))) return 'warning';
  return 'info';
}

const ANALYSIS_KNOWN = new Set([
  ...ANALYSIS_ERROR,
  ...ANALYSIS_INFO,
  'out_of_order',
  'ack_lost_segment',
  'duplicate_ack',
  'zero_window_probe',
  'zero_window_probe_ack',
  'window_full',
  'reused_ports',
]);

/** Wireshark's field names in words; anything else is shown exactly as it came. */
export function analysisText(name: string): string {
  if (!ANALYSIS_KNOWN.has(name)) return name;
  return name === 'duplicate_ack' ? 'dup ACK' : name.replace(/_/g, ' ');
}

export function roleText(p: LadderPacket): string {
  return p.role ? ROLE_TEXT[p.role](p) : '';
}

function numbersText(p: LadderPacket): string {
  return `Seq=${p.seq}${p.ack !== undefined ? ` Ack=${p.ack}` : ''} Len=${p.len} Win=${p.win}`;
}

function statesText(p: LadderPacket, client: boolean): string {
  return p.states
    .filter((s) => s.client === client)
    .map((s) => s.to)
    .join(' → ');
}

export function arrowLabel(p: LadderPacket): string {
  const parts = [
    `Frame ${p.frameNumber}`,
    `+${p.timeSeconds.toFixed(6)} s`,
    p.fromClient ? 'client to server' : 'server to client',
    p.flags.join(', ') || 'no flags',
  ];
  if (p.role) parts.push(roleText(p));
  parts.push(`seq ${p.seq}${p.ack !== undefined ? `, ack ${p.ack}` : ''}, length ${p.len}`);
  if (p.analysis.length) parts.push(p.analysis.map(analysisText).join(', '));
  const c = statesText(p, true);
  const s = statesText(p, false);
  if (c) parts.push(`client enters ${c}`);
  if (s) parts.push(`server enters ${s}`);
  return parts.join('; ');
}

type Item = { kind: 'packet'; p: LadderPacket } | { kind: 'gap'; from: number; to: number };

export class Ladder {
  readonly element: HTMLElement;
  private readonly note: HTMLElement;
  private readonly holder: HTMLElement;
  private detail: FlowDetail | null = null;
  private packets: LadderPacket[] = [];
  private arrows: SVGGElement[] = [];
  private current = 0;
  /** Frame of the arrow marked as the packet list's (0: none); survives redraws. */
  private revealedFrame = 0;
  private generation = 0;
  // Geometry of the last render (see layout()).
  private w = 900;
  /** The panel-derived width the last layout started from (the margins may have widened it). */
  private fitted = 900;
  private cx = 200;
  private sx = 730;
  private mx = 465;
  private room = 514;

  constructor(private readonly o: LadderOptions) {
    this.note = el('p', { className: 'note ladder-note' });
    this.holder = el('div', { className: 'ladder-scroll' });
    this.element = el('div', { className: 'ladder-view' }, this.note, this.holder);
    // Redrawn for a new width (panel resized, tab shown); a few pixels of change are not worth it.
    new ResizeObserver(() => {
      const avail = this.holder.clientWidth;
      if (this.detail && avail > 0 && Math.abs(this.width(avail) - this.fitted) > 8) this.render(true);
    }).observe(this.holder);
  }

  /** Number of arrows drawn (what the tests count). */
  get arrowCount(): number {
    return this.arrows.length;
  }

  show(detail: FlowDetail): void {
    this.generation++;
    this.detail = detail;
    this.packets = detail.packets.slice();
    this.current = 0;
    this.revealedFrame = 0;
    const notes: string[] = [];
    if (detail.joinedMidStream) notes.push('The handshake was not captured: the flow joined mid-stream.');
    else if (detail.synMissing) notes.push('The SYN was not captured: the flow starts at the SYN-ACK.');
    if (!detail.complete) notes.push(`Only the first ${detail.total} packets of this flow are kept (setting tcpscope.packetList.limit).`);
    this.note.textContent = notes.join(' ');
    this.note.hidden = notes.length === 0;
    this.render(false);
  }

  clear(): void {
    this.generation++;
    this.detail = null;
    this.packets = [];
    this.arrows = [];
    clear(this.holder);
  }

  focus(): void {
    this.arrows[this.current]?.focus();
  }

  /** Marks the arrow of a frame (the packet list's cursor is on it) and scrolls it into view; false when not drawn. */
  highlight(frameNumber: number): boolean {
    const i = this.packets.findIndex((p) => p.frameNumber === frameNumber);
    if (i < 0) return false;
    this.mark(frameNumber);
    const a = this.arrows[i]!;
    a.scrollIntoView({ block: 'nearest' });
    return true;
  }

  private items(): Item[] {
    const out: Item[] = [];
    const ps = this.packets;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      if (i === 0 && p.index > 0) out.push({ kind: 'gap', from: 0, to: p.index - 1 });
      out.push({ kind: 'packet', p });
      const next = ps[i + 1];
      if (next && next.index > p.index + 1) out.push({ kind: 'gap', from: p.index + 1, to: next.index - 1 });
    }
    const d = this.detail;
    const last = ps.at(-1);
    if (d && last && last.index < d.total - 1) out.push({ kind: 'gap', from: last.index + 1, to: d.total - 1 });
    return out;
  }

  private render(keepFocus: boolean): void {
    const d = this.detail;
    if (!d) return;
    const focusedFrame = keepFocus ? this.packets.find((_, i) => this.arrows[i] === document.activeElement)?.frameNumber : undefined;
    clear(this.holder);
    this.layout();
    const items = this.items();
    const rowH = (p: LadderPacket) => ROW_H + (this.twoLines(p) ? LINE_H : 0) + (p.analysis.length ? ANALYSIS_H : 0);
    const height = HEAD_H + items.reduce((h, it) => h + (it.kind === 'gap' ? GAP_H : rowH(it.p)), 0) + 8;
    const root = svg('svg', {
      class: 'ladder-svg',
      viewBox: `0 0 ${this.w} ${height}`,
      width: this.w,
      height,
      role: 'group',
      'aria-roledescription': 'ladder diagram',
      'aria-label': `Ladder diagram of stream ${d.stream}: ${d.total} packets${d.omitted ? `, ${d.omitted} not shown` : ''}. Arrow keys move between packets, Enter shows the packet in the packet list.`,
    });
    root.append(...this.header(d));
    const arrows: SVGGElement[] = [];
    let y = HEAD_H;
    for (const it of items) {
      if (it.kind === 'packet') {
        const h = rowH(it.p);
        root.append(this.columns(y, h, false));
        const g = this.arrow(it.p, y, h, arrows.length);
        arrows.push(g);
        root.append(g);
        y += h;
      } else {
        root.append(this.columns(y, GAP_H, true), this.gap(it.from, it.to, y));
        y += GAP_H;
      }
    }
    this.arrows = arrows;
    this.packets = items.filter((it): it is { kind: 'packet'; p: LadderPacket } => it.kind === 'packet').map((it) => it.p);
    root.addEventListener('keydown', (e) => this.onKey(e));
    this.holder.append(root);
    if (focusedFrame !== undefined) {
      const i = this.packets.findIndex((p) => p.frameNumber === focusedFrame);
      if (i >= 0) this.current = i;
    }
    this.current = Math.min(this.current, Math.max(0, arrows.length - 1));
    arrows.forEach((a, i) => a.setAttribute('tabindex', i === this.current ? '0' : '-1'));
    if (this.revealedFrame) this.mark(this.revealedFrame);
    if (focusedFrame !== undefined) this.focus();
  }

  /** Columns for the panel's width: the server column moves, the labels between them get what is left. */
  private layout(): void {
    let left = 0;
    let right = 0;
    for (const p of this.packets) {
      left = Math.max(left, statesText(p, true).length);
      right = Math.max(right, statesText(p, false).length);
    }
    const d = this.detail;
    this.cx = Math.ceil(Math.max(MIN_CLIENT_X, TIME_X + TIME_W + 18 + left * CHAR_W, 8 + ((d?.client.length ?? 0) * CHAR_W) / 2));
    const rightMargin = Math.ceil(Math.max(MIN_RIGHT_MARGIN, 16 + right * CHAR_W, 8 + ((d?.server.length ?? 0) * CHAR_W) / 2));
    this.fitted = this.width(this.holder.clientWidth);
    this.w = Math.max(this.fitted, this.cx + rightMargin + MIN_ROOM + 16);
    this.sx = this.w - rightMargin;
    this.mx = (this.cx + this.sx) / 2;
    this.room = this.sx - this.cx - 16;
  }

  /** The diagram's width for the panel's: it follows the panel between MIN_W and MAX_W. */
  private width(avail: number): number {
    return Math.round(Math.max(MIN_W, Math.min(MAX_W, avail > 0 ? avail : 900)));
  }

  private labelChars(p: LadderPacket): number {
    return (p.role ? roleText(p).length + 2 : 0) + (p.flags.join(', ') || '(no flags)').length + 2 + numbersText(p).length;
  }

  private twoLines(p: LadderPacket): boolean {
    return this.labelChars(p) * CHAR_W > this.room;
  }

  private header(d: FlowDetail): SVGElement[] {
    return [
      svg('text', { x: TIME_X, y: 16, class: 'ladder-head-sub' }, 'frame'),
      svg('text', { x: TIME_X, y: 30, class: 'ladder-head-sub' }, 'time (s)'),
      svg('text', { x: this.cx, y: 16, class: 'ladder-head', 'text-anchor': 'middle' }, 'Client'),
      svg('text', { x: this.cx, y: 32, class: 'ladder-head-sub', 'text-anchor': 'middle' }, d.client),
      svg('text', { x: this.sx, y: 16, class: 'ladder-head', 'text-anchor': 'middle' }, 'Server'),
      svg('text', { x: this.sx, y: 32, class: 'ladder-head-sub', 'text-anchor': 'middle' }, d.server),
    ];
  }

  private columns(y: number, h: number, gap: boolean): SVGGElement {
    const g = svg('g', { class: gap ? 'ladder-columns gap' : 'ladder-columns', 'aria-hidden': 'true' });
    g.append(svg('line', { x1: this.cx, y1: y, x2: this.cx, y2: y + h }), svg('line', { x1: this.sx, y1: y, x2: this.sx, y2: y + h }));
    return g;
  }

  private arrow(p: LadderPacket, y: number, rowH: number, pos: number): SVGGElement {
    const sev = analysisSeverity(p.analysis);
    const classes = ['ladder-arrow'];
    if (p.role) classes.push(roleClass(p.role));
    if (sev) classes.push(`an-${sev}`);
    const g = svg('g', { class: classes.join(' '), role: 'button', tabindex: -1, 'aria-label': arrowLabel(p), 'data-frame': p.frameNumber, 'data-index': p.index });
    const x1 = p.fromClient ? this.cx : this.sx;
    const x2 = p.fromClient ? this.sx : this.cx;
    const y1 = y + 21;
    const y2 = y + 31;
    // The hit area: the whole row between the columns, so a click anywhere on the arrow's row counts.
    g.append(svg('rect', { class: 'ladder-hit', x: this.cx - 2, y: y + 1, width: this.sx - this.cx + 4, height: rowH - 2, rx: 3 }));
    g.append(svg('text', { x: TIME_X, y: y + 18, class: 'ladder-frame' }, `#${p.frameNumber}`));
    g.append(svg('text', { x: TIME_X, y: y + 32, class: 'ladder-time' }, `+${p.timeSeconds.toFixed(6)}`));
    // One line above the arrow, as Wireshark's flow graph writes it: role, flags, numbers; in a narrow panel the
    // numbers go under the arrow.
    const role = p.role ? roleText(p) : '';
    const flags = p.flags.join(', ') || '(no flags)';
    const numbers = numbersText(p);
    const split = this.twoLines(p);
    const top = svg('text', { x: this.mx, y: y + 15, 'text-anchor': 'middle', class: 'ladder-label' });
    if (role) top.append(svg('tspan', { class: 'ladder-role' }, role));
    top.append(svg('tspan', { class: 'ladder-flags' }, `${role ? '  ' : ''}${flags}`));
    if (!split) top.append(svg('tspan', { class: 'ladder-numbers' }, `  ${numbers}`));
    else if ((role.length + flags.length + 2) * CHAR_W > this.room) {
      top.setAttribute('textLength', String(this.room));
      top.setAttribute('lengthAdjust', 'spacingAndGlyphs');
    }
    g.append(top);
    if (split) g.append(svg('text', { x: this.mx, y: y + 43, 'text-anchor': 'middle', class: 'ladder-label ladder-numbers' }, numbers));
    // Shortened so the head ends on the column line.
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy);
    const ux = dx / len;
    const uy = dy / len;
    const hx = x2 - ux * 9;
    const hy = y2 - uy * 9;
    g.append(svg('line', { class: 'ladder-line', x1, y1, x2: hx, y2: hy }));
    g.append(svg('polygon', { class: 'ladder-head-arrow', points: `${x2},${y2} ${hx - uy * 4.5},${hy + ux * 4.5} ${hx + uy * 4.5},${hy - ux * 4.5}` }));
    if (p.analysis.length) {
      g.append(
        svg('text', { x: this.mx, y: y + 43 + (split ? LINE_H : 0), 'text-anchor': 'middle', class: 'ladder-label ladder-analysis' }, `[${p.analysis.map(analysisText).join(', ')}]`),
      );
    }
    const cs = statesText(p, true);
    const ss = statesText(p, false);
    if (cs) g.append(svg('text', { x: this.cx - 8, y: y + 30, 'text-anchor': 'end', class: 'ladder-state' }, cs));
    if (ss) g.append(svg('text', { x: this.sx + 8, y: y + 30, class: 'ladder-state' }, ss));
    g.addEventListener('click', () => {
      this.move(pos);
      this.reveal(pos);
    });
    g.addEventListener('focus', () => {
      this.current = pos;
    });
    return g;
  }

  private gap(from: number, to: number, y: number): SVGGElement {
    const n = to - from + 1;
    const g = svg('g', { class: 'ladder-gap' });
    g.append(svg('line', { class: 'ladder-gap-rule', x1: TIME_X, y1: y + 6, x2: this.w - 6, y2: y + 6 }));
    g.append(
      svg('text', { x: this.mx, y: y + 24, 'text-anchor': 'middle', class: 'ladder-gap-text' }, `… ${n} packet${n === 1 ? '' : 's'} not shown (packets ${from + 1}–${to + 1} of the flow) …`),
    );
    const step = Math.min(LADDER_STEP, n);
    g.append(
      this.pageButton(`Show next ${step}`, this.mx - 150, y + 32, () => this.load(from, step)),
      this.pageButton(`Show ${step} before the end`, this.mx + 10, y + 32, () => this.load(to + 1 - step, step)),
    );
    g.append(svg('line', { class: 'ladder-gap-rule', x1: TIME_X, y1: y + GAP_H - 4, x2: this.w - 6, y2: y + GAP_H - 4 }));
    return g;
  }

  private pageButton(label: string, x: number, y: number, action: () => void): SVGGElement {
    const b = svg('g', { class: 'ladder-page', role: 'button', tabindex: 0, 'aria-label': label });
    b.append(svg('rect', { x, y, width: 140, height: 20, rx: 2 }), svg('text', { x: x + 70, y: y + 14, 'text-anchor': 'middle' }, label));
    b.addEventListener('click', action);
    b.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        e.stopPropagation();
        action();
      }
    });
    return b;
  }

  private async load(offset: number, count: number): Promise<void> {
    const d = this.detail;
    if (!d) return;
    const gen = this.generation;
    try {
      const page = await this.o.loadPage(d.stream, offset, count);
      if (gen !== this.generation) return;
      const have = new Set(this.packets.map((p) => p.index));
      const merged = this.packets.concat(page.packets.filter((p) => !have.has(p.index)));
      merged.sort((a, b) => a.index - b.index);
      this.packets = merged;
      const first = page.packets[0];
      this.render(false);
      // Keyboard users continue from the first packet the page brought.
      if (first) {
        const i = this.packets.findIndex((p) => p.index === first.index);
        if (i >= 0) this.move(i);
      }
    } catch (e) {
      this.o.onError(e);
    }
  }

  private move(i: number): void {
    if (!this.arrows.length) return;
    i = Math.max(0, Math.min(this.arrows.length - 1, i));
    this.arrows[this.current]?.setAttribute('tabindex', '-1');
    this.current = i;
    const a = this.arrows[i]!;
    a.setAttribute('tabindex', '0');
    a.focus();
  }

  private reveal(i: number): void {
    const p = this.packets[i];
    if (!p || !this.detail) return;
    this.mark(p.frameNumber);
    this.o.reveal(this.detail.stream, p.frameNumber);
  }

  private mark(frameNumber: number): void {
    this.revealedFrame = frameNumber;
    this.arrows.forEach((a, i) => a.classList.toggle('revealed', this.packets[i]?.frameNumber === frameNumber));
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target as Element;
    if (!t.classList?.contains('ladder-arrow')) return;
    let next: number | null = null;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        next = this.current + 1;
        break;
      case 'ArrowUp':
      case 'ArrowLeft':
        next = this.current - 1;
        break;
      case 'PageDown':
        next = this.current + 10;
        break;
      case 'PageUp':
        next = this.current - 10;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = this.arrows.length - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.reveal(this.current);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.move(next);
  }
}
