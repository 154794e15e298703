import './timeline.css';
import type { FlowOutcome, TimelineRow, TimelineSummary } from '../src/protocol/messages';
import { clear, el } from './dom';
import { PagedRows } from './pagedRows';
import type { Requester } from './flowDetailView';
import { durationText } from './svg';
import { revealRow, scrollGeometry, scrollToVirtual } from './scrollMap';

/**
 * The capture timeline: every flow as a bar from its first to its last packet, one row per flow in start order,
 * coloured by outcome (Zeek conn_state families), with the findings' time windows shaded. Drawn on canvas; only
 * the rows in view are drawn and only their pages (timeline/get) are fetched, so a million flows cost a few dozen
 * rectangles per frame. A density strip (timeline/summary) shows the whole capture and where the view is.
 *
 * Zoom: buttons, Ctrl+wheel, + and -; pan: drag, Shift+wheel, Left and Right; rows scroll natively. Keyboard users
 * get a listbox whose one rendered option describes the flow under the cursor (Up/Down move it, Enter opens it).
 */

export interface TimelineOptions {
  request: Requester;
  onSelectFlow(stream: number): void;
  onError(e: unknown): void;
}

export const OUTCOMES: { key: FlowOutcome; label: string; states: string; colorVar: string }[] = [
  { key: 'normal', label: 'closed normally', states: 'SF', colorVar: '--vscode-charts-green' },
  { key: 'reset', label: 'reset', states: 'REJ, RSTO, RSTR, RSTOS0, RSTRH', colorVar: '--vscode-charts-red' },
  { key: 'unanswered', label: 'unanswered', states: 'S0, SH', colorVar: '--vscode-charts-orange' },
  { key: 'open', label: 'still open', states: 'S1', colorVar: '--vscode-charts-blue' },
  { key: 'half-closed', label: 'half closed', states: 'S2, S3', colorVar: '--vscode-charts-yellow' },
  { key: 'other', label: 'other', states: 'OTH, SHR', colorVar: '--vscode-charts-purple' },
];

const ROW_H = 12;
const BAR_H = 8;
const PAGE = 1000;
const MAX_PAGES = 48;
const BINS = 1024;
const MIN_SPAN = 1e-6;
const ZOOM_STEP = 2;

interface Span {
  start: number;
  end: number;
}

export class CaptureTimeline {
  readonly element: HTMLElement;
  private readonly strip: HTMLCanvasElement;
  private readonly axisCanvas: HTMLCanvasElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly rowsBox: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly option: HTMLElement;
  private readonly spanLabel: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly findingsList: HTMLElement;
  private summary: TimelineSummary | null = null;
  private loading: Promise<void> | null = null;
  private total = 0;
  private domain: Span = { start: 0, end: 1 };
  private view: Span = { start: 0, end: 1 };
  private generation = 0;
  private readonly rows = new PagedRows<TimelineRow>({
    pageSize: PAGE,
    maxPages: MAX_PAGES,
    fetch: (offset, count) => this.o.request('timeline/get', { offset, count }),
    onTotal: (total) => void (this.total = total),
    onError: (e) => this.o.onError(e),
  });
  private cursor = -1;
  /** The flow selected in the panel (the Flows table, a finding, the packet list) and its row, -1 until known. */
  private marked = -1;
  private markedRow = -1;
  /** The marked row has not been brought into view since it was marked (the timeline was hidden). */
  private markPending = false;
  private visible = false;
  private scheduled = false;
  private drag: { x: number; start: Span; moved: boolean } | null = null;
  private stripDrag = false;
  /** Bars drawn by the last frame and how long the frame took (what the tests read). */
  barsDrawn = 0;
  drawMs = 0;

  constructor(private readonly o: TimelineOptions) {
    const button = (label: string, title: string, action: () => void) => {
      const b = el('vscode-button', { textContent: label, title, 'aria-label': title, secondary: '' });
      b.addEventListener('click', action);
      return b;
    };
    this.spanLabel = el('span', { className: 'tl-span', 'aria-live': 'polite' });
    this.legend = el('div', { className: 'tl-legend', role: 'list', 'aria-label': 'Bar colours' });
    this.strip = el('canvas', { className: 'tl-strip', role: 'img', 'aria-label': 'Flows active over the whole capture by outcome; click to move the view there' });
    this.axisCanvas = el('canvas', { className: 'tl-axis', 'aria-hidden': 'true' });
    this.canvas = el('canvas', { className: 'tl-canvas', 'aria-hidden': 'true' });
    this.spacer = el('div', { className: 'tl-spacer' });
    this.option = el('div', { id: 'tl-active', role: 'option', className: 'tl-option', 'aria-selected': 'true' });
    this.viewport = el(
      'div',
      {
        className: 'tl-viewport',
        tabIndex: 0,
        role: 'listbox',
        'aria-label': 'Flows by start time. Up and Down move between flows, Enter opens the flow, plus and minus zoom, Left and Right pan, 0 shows the whole capture.',
      },
      this.spacer,
      this.option,
    );
    this.rowsBox = el('div', { className: 'tl-rows' }, this.canvas, this.viewport);
    this.findingsList = el('ul', { className: 'tl-findings', 'aria-label': 'Findings with a time window' });
    this.element = el(
      'div',
      { className: 'timeline' },
      el(
        'div',
        { className: 'toolbar tl-toolbar' },
        el('h2', { id: 'timeline-title', textContent: 'Timeline' }),
        this.spanLabel,
        button('Zoom in', 'Zoom in (+)', () => this.zoom(1 / ZOOM_STEP)),
        button('Zoom out', 'Zoom out (-)', () => this.zoom(ZOOM_STEP)),
        button('Whole capture', 'Show the whole capture (0)', () => this.setView(this.domain)),
      ),
      this.legend,
      this.strip,
      this.axisCanvas,
      this.rowsBox,
      this.findingsList,
    );
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.viewport.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
    this.viewport.addEventListener('mousedown', (e) => this.onMouseDown(e));
    this.viewport.addEventListener('mousemove', (e) => this.onHover(e));
    window.addEventListener('mousemove', (e) => this.onDrag(e));
    window.addEventListener('mouseup', (e) => this.onMouseUp(e));
    this.strip.addEventListener('mousedown', (e) => {
      this.stripDrag = true;
      this.stripTo(e, false);
    });
    new ResizeObserver(() => this.schedule()).observe(this.rowsBox);
    // VS Code switches themes by rewriting the variables on <html> and the theme class on <body>.
    const themeChanged = () => {
      this.palette = null;
      this.stripKey = '';
      this.schedule();
    };
    new MutationObserver(themeChanged).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    new MutationObserver(themeChanged).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    // Loaded the first time it is on screen: a hidden tab costs nothing.
    new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      if (this.visible) void this.ensureLoaded().then(() => this.revealMark());
    }).observe(this.element);
  }

  // ---------- state ----------

  /** A new capture (or re-analysis): forget everything, load again when shown. */
  reset(): void {
    this.generation++;
    this.rows.clear();
    this.summary = null;
    this.loading = null;
    this.total = 0;
    this.cursor = -1;
    this.markedRow = -1;
    this.markPending = this.marked >= 0;
    this.viewport.scrollTop = 0;
    clear(this.findingsList);
    clear(this.legend);
    if (this.visible) void this.ensureLoaded().then(() => this.revealMark());
    else this.schedule();
  }

  /**
   * Marks the flow selected elsewhere in the panel: its row gets the selection background and an outline, and the
   * keyboard cursor moves to it. The row is scrolled into view now if the timeline is on screen, else when shown.
   */
  markFlow(stream: number): void {
    if (stream === this.marked && this.markedRow >= 0) return;
    this.marked = stream;
    this.markedRow = -1;
    this.markPending = true;
    if (this.summary) void this.locateMark(this.generation).then(() => this.revealMark());
  }

  /** Row index of the marked flow, -1 when none or not located yet (for tests). */
  get markedIndex(): number {
    return this.markedRow;
  }

  private async locateMark(gen: number): Promise<void> {
    const stream = this.marked;
    try {
      const { index } = await this.o.request('timeline/indexOf', { stream });
      if (gen !== this.generation || stream !== this.marked) return;
      this.markedRow = index;
      this.schedule();
    } catch (e) {
      if (gen === this.generation) this.o.onError(e);
    }
  }

  private revealMark(): void {
    if (!this.visible || !this.markPending || this.markedRow < 0) return;
    this.markPending = false;
    this.setCursor(this.markedRow, true);
  }

  get visibleSpan(): Span {
    return { ...this.view };
  }

  get rowCount(): number {
    return this.total;
  }

  /** Loads the summary (axis, density, findings); resolves when the first page of rows is in. */
  ensureLoaded(): Promise<void> {
    if (this.summary) return Promise.resolve();
    if (this.loading) return this.loading;
    const gen = this.generation;
    this.loading = (async () => {
      try {
        const s = await this.o.request('timeline/summary', { bins: BINS });
        if (gen !== this.generation) return;
        this.summary = s;
        this.total = s.flows;
        this.fitRows();
        const span = s.endSeconds - s.startSeconds;
        this.domain = { start: s.startSeconds, end: s.startSeconds + (span > 0 ? span : 1e-3) };
        this.view = { ...this.domain };
        this.renderLegend(s);
        this.renderFindings(s);
        this.updateSpanLabel();
        await this.rows.load(0);
        if (this.marked >= 0) await this.locateMark(gen);
        this.schedule();
      } catch (e) {
        if (gen === this.generation) {
          this.loading = null;
          this.o.onError(e);
        }
      }
    })();
    return this.loading;
  }

  /** A capture of a few flows gets a rows box as tall as its rows, not half a screen of empty canvas. */
  private fitRows(): void {
    const px = Math.max(this.total * ROW_H + 2, 4 * ROW_H);
    this.rowsBox.style.maxHeight = `${px}px`;
    this.rowsBox.style.minHeight = px < 200 ? '0' : '';
  }

  private row(i: number): TimelineRow | undefined {
    return this.rows.row(i);
  }

  // ---------- geometry ----------

  private geometry() {
    return scrollGeometry(this.viewport, this.total, ROW_H);
  }

  private x(t: number, width: number): number {
    return ((t - this.view.start) / (this.view.end - this.view.start)) * width;
  }

  private timeAt(px: number, width: number): number {
    return this.view.start + (px / Math.max(1, width)) * (this.view.end - this.view.start);
  }

  private rowAt(clientY: number): number {
    const g = this.geometry();
    const y = clientY - this.viewport.getBoundingClientRect().top;
    const i = Math.floor((g.virtualTop + y) / ROW_H);
    return i >= 0 && i < this.total ? i : -1;
  }

  /** Page coordinates of the middle of a flow's bar, null when it is not drawn (for tests and tooling). */
  barPoint(index: number): { x: number; y: number } | null {
    const r = this.row(index);
    if (!r) return null;
    const g = this.geometry();
    const y = index * ROW_H - g.virtualTop;
    if (y < 0 || y + ROW_H > g.vh) return null;
    const x0 = Math.max(0, this.x(r.startSeconds, g.width));
    const x1 = Math.min(g.width, Math.max(this.x(r.endSeconds, g.width), this.x(r.startSeconds, g.width) + 2));
    if (x1 < 0 || x0 > g.width) return null;
    const box = this.viewport.getBoundingClientRect();
    return { x: box.left + (x0 + x1) / 2, y: box.top + y + ROW_H / 2 };
  }

  private ensureRowVisible(i: number): void {
    const g = this.geometry();
    // The spacer is sized when a frame is drawn; rows that just arrived may not have had one yet, and a scrollTop
    // past the content would be cut short.
    this.spacer.style.height = `${g.spacerHeight}px`;
    revealRow(this.viewport, g, i, ROW_H);
  }

  // ---------- view ----------

  private setView(v: Span, announce = true): void {
    const dspan = this.domain.end - this.domain.start;
    let span = Math.min(dspan, Math.max(MIN_SPAN, v.end - v.start));
    if (!(span > 0)) span = dspan;
    let start = Math.max(this.domain.start, Math.min(this.domain.end - span, v.start));
    if (!Number.isFinite(start)) start = this.domain.start;
    this.view = { start, end: start + span };
    if (announce) this.updateSpanLabel();
    this.schedule();
  }

  /** Zoom by a factor around a time (the middle by default): factor < 1 zooms in. */
  zoom(factor: number, at?: number): void {
    const c = at ?? (this.view.start + this.view.end) / 2;
    const span = (this.view.end - this.view.start) * factor;
    const k = (c - this.view.start) / (this.view.end - this.view.start);
    this.setView({ start: c - k * span, end: c - k * span + span });
  }

  private pan(fraction: number): void {
    const span = this.view.end - this.view.start;
    this.setView({ start: this.view.start + fraction * span, end: this.view.end + fraction * span });
  }

  private updateSpanLabel(): void {
    const zoom = (this.domain.end - this.domain.start) / (this.view.end - this.view.start);
    this.spanLabel.textContent = `${this.total} flows · showing ${this.view.start.toFixed(6)} – ${this.view.end.toFixed(6)} s (${durationText(this.view.end - this.view.start)}${zoom > 1.001 ? `, ×${zoom < 100 ? zoom.toFixed(1) : Math.round(zoom)}` : ''})`;
  }

  // ---------- drawing ----------

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  private palette: ReturnType<CaptureTimeline['readColors']> | null = null;
  private stripKey = '';

  /** Theme colours, read once per theme: reading computed style in every frame would force a style pass. */
  private colors(): ReturnType<CaptureTimeline['readColors']> {
    return (this.palette ??= this.readColors());
  }

  private readColors() {
    const cs = getComputedStyle(this.element);
    const fg = cs.color;
    const v = (name: string, fallback = fg) => cs.getPropertyValue(name).trim() || fallback;
    return {
      fg,
      muted: v('--vscode-descriptionForeground'),
      grid: v('--vscode-editorRuler-foreground', v('--vscode-descriptionForeground')),
      focus: v('--vscode-focusBorder'),
      selection: v('--vscode-list-inactiveSelectionBackground', v('--vscode-editor-selectionBackground', 'rgba(128, 128, 128, 0.3)')),
      error: v('--vscode-errorForeground'),
      warning: v('--vscode-editorWarning-foreground'),
      info: v('--vscode-editorInfo-foreground', v('--vscode-descriptionForeground')),
      font: `${v('--vscode-font-size', '12px')} ${v('--vscode-font-family', 'sans-serif')}`,
      outcome: Object.fromEntries(OUTCOMES.map((o) => [o.key, v(o.colorVar)])) as Record<FlowOutcome, string>,
    };
  }

  private fit(c: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  private draw(): void {
    // Off the document (the panel still says "Analysing…") computed styles are empty: a palette read then would
    // stay black until the next theme change. The next schedule() after the panel is shown draws.
    if (!this.element.isConnected) return;
    const t0 = performance.now();
    this.paint();
    this.drawMs = performance.now() - t0;
  }

  private paint(): void {
    const g = this.geometry();
    this.spacer.style.height = `${g.spacerHeight}px`;
    const colors = this.colors();
    const width = g.width;
    this.drawStrip(colors, width);
    const ticks = this.drawAxis(colors, width);
    const ctx = this.fit(this.canvas, width, g.vh);
    if (!this.summary) {
      this.barsDrawn = 0;
      return;
    }
    const first = Math.max(0, Math.floor(g.virtualTop / ROW_H));
    const last = Math.min(this.total, Math.ceil((g.virtualTop + g.vh) / ROW_H));
    // The selected flow's row first, under the findings' windows and the bars.
    const markedY = this.markedRow * ROW_H - g.virtualTop;
    if (this.markedRow >= first && this.markedRow < last) {
      ctx.fillStyle = colors.selection;
      ctx.fillRect(0, markedY, width, ROW_H);
    }
    // Findings' windows, under the bars.
    for (const f of this.summary.findings) {
      const x0 = this.x(f.startSeconds, width);
      const x1 = this.x(f.endSeconds, width);
      if (x1 < 0 || x0 > width) continue;
      ctx.fillStyle = f.severity === 'error' ? colors.error : f.severity === 'warning' ? colors.warning : colors.info;
      ctx.globalAlpha = 0.14;
      ctx.fillRect(x0, 0, Math.max(3, x1 - x0), g.vh);
      ctx.globalAlpha = 0.6;
      ctx.fillRect(x0, 0, 1, g.vh);
      ctx.fillRect(Math.max(x0 + 2, x1) - 1, 0, 1, g.vh);
    }
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = colors.grid;
    for (const t of ticks) ctx.fillRect(Math.round(this.x(t, width)), 0, 1, g.vh);
    ctx.globalAlpha = 1;

    let bars = 0;
    const missing = new Set<number>();
    for (let i = first; i < last; i++) {
      const r = this.row(i);
      const y = i * ROW_H - g.virtualTop;
      if (!r) {
        missing.add(this.rows.pageOf(i));
        continue;
      }
      const x0 = this.x(r.startSeconds, width);
      const x1 = this.x(r.endSeconds, width);
      if (x1 < -2 || x0 > width) continue;
      ctx.fillStyle = colors.outcome[r.outcome] ?? colors.fg;
      ctx.fillRect(x0, y + (ROW_H - BAR_H) / 2, Math.max(2, x1 - x0), BAR_H);
      bars++;
    }
    if (this.markedRow >= first && this.markedRow < last) {
      // The bar itself is outlined too, so a short bar on a wide row is still found at a glance.
      const r = this.row(this.markedRow);
      if (r) {
        const x0 = this.x(r.startSeconds, width);
        const x1 = Math.max(this.x(r.endSeconds, width), x0 + 2);
        ctx.strokeStyle = colors.fg;
        ctx.lineWidth = 1;
        ctx.strokeRect(Math.round(x0) - 1.5, markedY + (ROW_H - BAR_H) / 2 - 1.5, Math.round(x1 - x0) + 3, BAR_H + 3);
      }
    }
    if (this.cursor >= first && this.cursor < last) {
      ctx.strokeStyle = colors.focus;
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, this.cursor * ROW_H - g.virtualTop + 0.5, width - 1, ROW_H - 1);
    }
    this.barsDrawn = bars;
    if (missing.size) {
      const gen = this.generation;
      void Promise.all([...missing].map((p) => this.rows.load(p))).then(() => {
        if (gen === this.generation) this.schedule();
      });
    }
  }

  private drawAxis(colors: ReturnType<CaptureTimeline['readColors']>, width: number): number[] {
    const h = 22;
    const ctx = this.fit(this.axisCanvas, width, h);
    if (!this.summary) return [];
    const span = this.view.end - this.view.start;
    const raw = span / Math.max(1, width / 110);
    const p = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
    const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(step))));
    const ticks: number[] = [];
    ctx.font = colors.font;
    ctx.fillStyle = colors.muted;
    ctx.textBaseline = 'middle';
    for (let t = Math.ceil(this.view.start / step) * step; t <= this.view.end + step * 1e-9; t += step) {
      ticks.push(t);
      const x = this.x(t, width);
      ctx.fillRect(Math.round(x), h - 6, 1, 6);
      if (x < width - 40) ctx.fillText(`${t.toFixed(decimals)} s`, x + 3, 9);
    }
    return ticks;
  }

  private drawStrip(colors: ReturnType<CaptureTimeline['readColors']>, width: number): void {
    const h = 40;
    const s = this.summary;
    // The strip only changes with the view, the width, the data or the theme: most frames (vertical scrolling) skip it.
    const key = `${width}|${this.view.start}|${this.view.end}|${this.generation}|${s ? 1 : 0}`;
    if (key === this.stripKey) return;
    this.stripKey = key;
    const ctx = this.fit(this.strip, width, h);
    if (!s) return;
    const bins = s.bins;
    const dspan = this.domain.end - this.domain.start;
    // Each pixel column shows the busiest bin it covers, stacked by outcome.
    let max = 1;
    const totals = new Float64Array(bins);
    for (const o of OUTCOMES) {
      const d = s.density[o.key];
      for (let b = 0; b < bins; b++) totals[b]! += d[b]!;
    }
    for (let b = 0; b < bins; b++) if (totals[b]! > max) max = totals[b]!;
    const cols = Math.max(1, Math.floor(width));
    for (let px = 0; px < cols; px++) {
      const b0 = Math.floor((px / cols) * bins);
      const b1 = Math.max(b0 + 1, Math.floor(((px + 1) / cols) * bins));
      let best = b0;
      for (let b = b0; b < b1 && b < bins; b++) if (totals[b]! > totals[best]!) best = b;
      let y = h;
      for (const o of OUTCOMES) {
        const v = s.density[o.key][best] ?? 0;
        if (!v) continue;
        const bh = (v / max) * (h - 4);
        ctx.fillStyle = colors.outcome[o.key];
        ctx.fillRect(px, y - bh, 1, bh);
        y -= bh;
      }
    }
    for (const f of s.findings) {
      const x0 = ((f.startSeconds - this.domain.start) / dspan) * width;
      const x1 = ((f.endSeconds - this.domain.start) / dspan) * width;
      ctx.fillStyle = f.severity === 'error' ? colors.error : f.severity === 'warning' ? colors.warning : colors.info;
      ctx.fillRect(x0, 0, Math.max(2, x1 - x0), 3);
    }
    // The part of the capture the rows show.
    const v0 = ((this.view.start - this.domain.start) / dspan) * width;
    const v1 = ((this.view.end - this.domain.start) / dspan) * width;
    ctx.strokeStyle = colors.focus;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(Math.max(0.75, v0), 0.75, Math.max(3, Math.min(width - 0.75, v1) - Math.max(0.75, v0)), h - 1.5);
  }

  // ---------- legend and findings ----------

  private renderLegend(s: TimelineSummary): void {
    clear(this.legend);
    for (const o of OUTCOMES) {
      const swatch = el('span', { className: `tl-swatch tl-${o.key}`, 'aria-hidden': 'true' });
      this.legend.append(el('span', { className: 'tl-legend-item', role: 'listitem' }, swatch, `${o.label} (${o.states}): ${s.outcomes[o.key]}`));
    }
    if (s.findings.length) {
      this.legend.append(el('span', { className: 'tl-legend-item', role: 'listitem' }, el('span', { className: 'tl-swatch tl-finding', 'aria-hidden': 'true' }), 'shaded: a finding’s time window'));
    }
  }

  private renderFindings(s: TimelineSummary): void {
    clear(this.findingsList);
    for (const f of s.findings.slice(0, 50)) {
      const b = el('button', { className: 'tl-zoom-to', type: 'button', textContent: 'Zoom to' });
      b.addEventListener('click', () => {
        const pad = Math.max((f.endSeconds - f.startSeconds) * 0.1, MIN_SPAN);
        this.setView({ start: f.startSeconds - pad, end: f.endSeconds + pad });
        void this.scrollToTime(f.startSeconds - pad);
      });
      this.findingsList.append(
        el(
          'li',
          { className: `tl-finding-${f.severity}` },
          b,
          el('span', { className: 'tl-finding-code', textContent: f.code }),
          ` ${f.startSeconds.toFixed(3)}–${f.endSeconds.toFixed(3)} s: `,
          el('span', { textContent: f.message }),
        ),
      );
    }
  }

  private async scrollToTime(t: number): Promise<void> {
    const gen = this.generation;
    try {
      const { index } = await this.o.request('timeline/locate', { seconds: t });
      if (gen !== this.generation) return;
      const g = this.geometry();
      scrollToVirtual(this.viewport, g, index * ROW_H - ROW_H);
      this.schedule();
    } catch (e) {
      this.o.onError(e);
    }
  }

  // ---------- input ----------

  private onWheel(e: WheelEvent): void {
    const width = this.viewport.clientWidth;
    const px = e.clientX - this.viewport.getBoundingClientRect().left;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      this.zoom(Math.exp(e.deltaY * 0.002), this.timeAt(px, width));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      const d = e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX;
      this.pan(d / Math.max(1, width));
    }
  }

  private onMouseDown(e: MouseEvent): void {
    if (e.button !== 0) return;
    // The scrollbar belongs to the viewport: leave it alone.
    if (e.clientX - this.viewport.getBoundingClientRect().left > this.viewport.clientWidth) return;
    this.drag = { x: e.clientX, start: { ...this.view }, moved: false };
  }

  private onDrag(e: MouseEvent): void {
    if (this.stripDrag) {
      this.stripTo(e, false);
      return;
    }
    const d = this.drag;
    if (!d) return;
    const dx = e.clientX - d.x;
    if (!d.moved && Math.abs(dx) < 4) return;
    d.moved = true;
    const span = d.start.end - d.start.start;
    const dt = (-dx / Math.max(1, this.viewport.clientWidth)) * span;
    this.setView({ start: d.start.start + dt, end: d.start.end + dt });
  }

  private onMouseUp(e: MouseEvent): void {
    if (this.stripDrag) {
      this.stripDrag = false;
      this.stripTo(e, true);
      return;
    }
    const d = this.drag;
    this.drag = null;
    if (!d || d.moved) return;
    const i = this.rowAt(e.clientY);
    const r = i >= 0 ? this.row(i) : undefined;
    if (!r) return;
    const width = this.viewport.clientWidth;
    const px = e.clientX - this.viewport.getBoundingClientRect().left;
    const x0 = this.x(r.startSeconds, width);
    const x1 = Math.max(this.x(r.endSeconds, width), x0 + 2);
    this.setCursor(i, false);
    // A click near the bar (bars can be 2 px wide) opens the flow; elsewhere on the row it only moves the cursor.
    if (px >= x0 - 4 && px <= x1 + 4) this.o.onSelectFlow(r.stream);
  }

  private stripTo(e: MouseEvent, locate: boolean): void {
    const box = this.strip.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (e.clientX - box.left) / Math.max(1, box.width)));
    const t = this.domain.start + f * (this.domain.end - this.domain.start);
    const span = this.view.end - this.view.start;
    this.setView({ start: t - span / 2, end: t + span / 2 });
    if (locate) void this.scrollToTime(this.view.start);
  }

  private onHover(e: MouseEvent): void {
    if (this.drag?.moved) return;
    const i = this.rowAt(e.clientY);
    const r = i >= 0 ? this.row(i) : undefined;
    this.viewport.title = r ? describe(r) : '';
  }

  private setCursor(i: number, follow: boolean): void {
    if (!this.total) return;
    i = Math.max(0, Math.min(this.total - 1, i));
    this.cursor = i;
    this.ensureRowVisible(i);
    this.option.setAttribute('aria-posinset', String(i + 1));
    this.option.setAttribute('aria-setsize', String(this.total));
    this.viewport.setAttribute('aria-activedescendant', this.option.id);
    const show = () => {
      const r = this.row(i);
      if (this.cursor !== i) return;
      this.option.textContent = r ? `${describe(r)}${i === this.markedRow ? ' (the selected flow)' : ''}` : `flow ${i + 1} of ${this.total}`;
      // Keyboard users follow the cursor in time as well: a bar out of view brings the view to it.
      if (r && follow && (r.endSeconds < this.view.start || r.startSeconds > this.view.end)) {
        const span = this.view.end - this.view.start;
        this.setView({ start: r.startSeconds - span / 10, end: r.startSeconds - span / 10 + span });
      }
      this.schedule();
    };
    if (this.row(i)) show();
    else void this.rows.load(this.rows.pageOf(i)).then(show);
    this.schedule();
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_H) - 1);
    const cur = this.cursor;
    switch (e.key) {
      case 'ArrowDown':
        this.setCursor(cur + 1, true);
        break;
      case 'ArrowUp':
        this.setCursor(Math.max(0, cur - 1), true);
        break;
      case 'PageDown':
        this.setCursor(cur + page, true);
        break;
      case 'PageUp':
        this.setCursor(cur - page, true);
        break;
      case 'Home':
        this.setCursor(0, true);
        break;
      case 'End':
        this.setCursor(this.total - 1, true);
        break;
      case 'ArrowLeft':
        this.pan(-0.1);
        break;
      case 'ArrowRight':
        this.pan(0.1);
        break;
      case '+':
      case '=':
        this.zoom(1 / ZOOM_STEP);
        break;
      case '-':
      case '_':
        this.zoom(ZOOM_STEP);
        break;
      case '0':
        this.setView(this.domain);
        break;
      case 'Enter':
      case ' ': {
        const r = this.row(cur);
        if (r) this.o.onSelectFlow(r.stream);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }
}

function describe(r: TimelineRow): string {
  const o = OUTCOMES.find((x) => x.key === r.outcome);
  return `Stream ${r.stream}: ${r.client} → ${r.server}, ${r.connState} (${o?.label ?? r.outcome}), ${r.startSeconds.toFixed(6)} to ${r.endSeconds.toFixed(6)} s (${durationText(r.endSeconds - r.startSeconds)})`;
}
