import { el } from './dom';
import { PagedRows } from './pagedRows';
import { revealRow, scrollGeometry } from './scrollMap';

export interface Column<Row> {
  key: string;
  label: string;
  /** A CSS grid track size, e.g. "6em" or "minmax(10em, 1fr)". */
  width: string;
  numeric?: boolean;
  sortable?: boolean;
  text(row: Row): string;
}

export interface GridPage<Row> {
  total: number;
  rows: Row[];
}

export interface VirtualGridOptions<Row> {
  label: string;
  idPrefix: string;
  columns: Column<Row>[];
  rowHeight: number;
  /** Narrowest the columns may get (a CSS length): below it the grid scrolls sideways, header included. */
  minWidth?: string;
  fetch(offset: number, count: number): Promise<GridPage<Row>>;
  /** Selection moved (keyboard or mouse). */
  onSelect?(row: Row | undefined, index: number, how: 'keyboard' | 'mouse' | 'api'): void;
  /** Enter, or a click. */
  onActivate?(row: Row, index: number): void;
  onSort?(column: string): void;
}

const PAGE = 200;
const MAX_PAGES = 64;
const OVERSCAN = 6;

/**
 * A grid that renders only the rows in view: a fixed row height, a pool of row elements reused while scrolling,
 * and rows fetched from the host page by page. A million rows cost a spacer and a few dozen elements.
 * Cell text is set with textContent only: capture data never becomes markup.
 */
export class VirtualGrid<Row> {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly header: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private generation = 0;
  private total = 0;
  private readonly rows = new PagedRows<Row>({
    pageSize: PAGE,
    maxPages: MAX_PAGES,
    fetch: (offset, count) => this.o.fetch(offset, count),
    onTotal: (total) => void (this.total = total),
    onError: (e) => console.error('tcpscope: page fetch failed', e),
  });
  private selected = -1;
  private scheduled = false;
  private sortState: { column: string; descending: boolean } | null = null;
  private readonly template: string;

  constructor(private readonly o: VirtualGridOptions<Row>) {
    this.template = o.columns.map((c) => c.width).join(' ');
    this.header = el('div', { className: 'vg-header', role: 'row', 'aria-rowindex': '1' });
    this.header.style.gridTemplateColumns = this.template;
    if (o.minWidth) this.header.style.minWidth = o.minWidth;
    o.columns.forEach((c, i) => {
      const cell = el('div', { className: `vg-cell${c.numeric ? ' num' : ''}`, role: 'columnheader', 'aria-colindex': String(i + 1) });
      if (c.sortable && o.onSort) {
        const b = el('button', { className: 'vg-sort', type: 'button', textContent: c.label, title: `Sort by ${c.label}` });
        b.addEventListener('click', () => o.onSort!(c.key));
        cell.append(b);
      } else cell.textContent = c.label;
      cell.dataset['key'] = c.key;
      this.header.append(cell);
    });
    this.spacer = el('div', { className: 'vg-spacer', role: 'presentation' });
    this.viewport = el('div', { className: 'vg-viewport', role: 'rowgroup' }, this.spacer);
    this.element = el('div', {
      className: 'vg',
      role: 'grid',
      tabIndex: 0,
      'aria-label': o.label,
      'aria-rowcount': '1',
      'aria-colcount': String(o.columns.length),
      'aria-multiselectable': 'false',
    });
    this.element.append(el('div', { role: 'rowgroup', className: 'vg-head' }, this.header), this.viewport);
    this.viewport.addEventListener(
      'scroll',
      () => {
        this.header.style.transform = this.viewport.scrollLeft ? `translateX(${-this.viewport.scrollLeft}px)` : '';
        this.schedule();
      },
      { passive: true },
    );
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  get rowCount(): number {
    return this.total;
  }

  get selectedIndex(): number {
    return this.selected;
  }

  get scrollTop(): number {
    return this.viewport.scrollTop;
  }

  set scrollTop(v: number) {
    this.viewport.scrollTop = v;
    this.schedule();
  }

  /** Number of row elements in the document (what the virtualization test bounds). */
  get renderedRows(): number {
    return this.pool.filter((r) => !r.hidden).length;
  }

  setSort(column: string, descending: boolean): void {
    this.sortState = { column, descending };
    for (const cell of this.header.children) {
      const key = (cell as HTMLElement).dataset['key'];
      cell.setAttribute('aria-sort', key === column ? (descending ? 'descending' : 'ascending') : 'none');
    }
  }

  get sort(): { column: string; descending: boolean } | null {
    return this.sortState;
  }

  /** Drops every cached row and fetches again (new sort, filter or capture). */
  async reset(keepSelection = false): Promise<void> {
    this.generation++;
    this.rows.clear();
    if (!keepSelection) this.selected = -1;
    await this.rows.load(0);
    this.render();
  }

  row(index: number): Row | undefined {
    return this.rows.row(index);
  }

  /** Selects a row and scrolls it into view; loads its page first so the caller can read it. */
  async select(index: number, how: 'keyboard' | 'mouse' | 'api' = 'api'): Promise<void> {
    if (this.total === 0) return;
    index = Math.max(0, Math.min(this.total - 1, index));
    this.selected = index;
    this.ensureVisible(index);
    await this.rows.load(this.rows.pageOf(index));
    // A later selection (a key pressed while this page loaded: End, then Home) has taken over; announcing this one
    // now would show the far row's details beside the near row selected.
    if (this.selected !== index) return;
    this.render();
    this.o.onSelect?.(this.row(index), index, how);
  }

  focus(): void {
    this.element.focus();
  }

  private viewportRows(): number {
    return Math.max(1, Math.floor(this.viewport.clientHeight / this.o.rowHeight));
  }

  /** Pixel geometry: the spacer is capped, so scrollTop maps linearly onto the full virtual height. */
  private geometry() {
    return { ...scrollGeometry(this.viewport, this.total, this.o.rowHeight), rh: this.o.rowHeight };
  }

  private ensureVisible(index: number): void {
    revealRow(this.viewport, this.geometry(), index, this.o.rowHeight);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  private render(): void {
    const g = this.geometry();
    this.spacer.style.height = `${g.spacerHeight}px`;
    this.element.setAttribute('aria-rowcount', String(this.total + 1));
    const first = Math.max(0, Math.floor(g.virtualTop / g.rh) - OVERSCAN);
    const last = Math.min(this.total, Math.ceil((g.virtualTop + this.viewport.clientHeight) / g.rh) + OVERSCAN);
    // Unscaled, rows sit at their true offset; scaled, they are placed relative to what the viewport shows.
    const base = this.viewport.scrollTop - g.virtualTop;
    const needed = last - first;
    while (this.pool.length < needed) this.pool.push(this.newRow());
    let missing = false;
    for (let k = 0; k < this.pool.length; k++) {
      const rowEl = this.pool[k]!;
      const i = first + k;
      if (k >= needed) {
        rowEl.hidden = true;
        rowEl.removeAttribute('id');
        continue;
      }
      rowEl.hidden = false;
      rowEl.style.transform = `translateY(${base + i * g.rh}px)`;
      rowEl.setAttribute('aria-rowindex', String(i + 2));
      rowEl.id = `${this.o.idPrefix}-row-${i}`;
      rowEl.dataset['index'] = String(i);
      const isSel = i === this.selected;
      rowEl.classList.toggle('selected', isSel);
      rowEl.setAttribute('aria-selected', String(isSel));
      const row = this.row(i);
      const cells = rowEl.children;
      if (row === undefined) {
        missing = true;
        rowEl.setAttribute('aria-busy', 'true');
        for (let c = 0; c < cells.length; c++) cells[c]!.textContent = c === 0 ? '…' : '';
      } else {
        rowEl.removeAttribute('aria-busy');
        for (let c = 0; c < cells.length; c++) cells[c]!.textContent = this.o.columns[c]!.text(row);
      }
    }
    if (this.selected >= first && this.selected < last) this.element.setAttribute('aria-activedescendant', `${this.o.idPrefix}-row-${this.selected}`);
    else this.element.removeAttribute('aria-activedescendant');
    if (missing) {
      const gen = this.generation;
      const pages = new Set<number>();
      for (let i = first; i < last; i++) if (this.row(i) === undefined) pages.add(this.rows.pageOf(i));
      void Promise.all([...pages].map((p) => this.rows.load(p))).then(() => {
        if (gen === this.generation) this.schedule();
      });
    }
  }

  private newRow(): HTMLElement {
    const r = el('div', { className: 'vg-row', role: 'row' });
    r.style.gridTemplateColumns = this.template;
    if (this.o.minWidth) r.style.minWidth = this.o.minWidth;
    r.style.height = `${this.o.rowHeight}px`;
    this.o.columns.forEach((c, i) => r.append(el('div', { className: `vg-cell${c.numeric ? ' num' : ''}`, role: 'gridcell', 'aria-colindex': String(i + 1) })));
    r.addEventListener('click', () => {
      const i = Number(r.dataset['index']);
      void this.select(i, 'mouse').then(() => {
        const row = this.row(i);
        if (row !== undefined) this.o.onActivate?.(row, i);
      });
      this.element.focus({ preventScroll: true });
    });
    this.spacer.append(r);
    return r;
  }

  private onKey(e: KeyboardEvent): void {
    const page = this.viewportRows();
    const cur = this.selected < 0 ? -1 : this.selected;
    let next: number | null = null;
    switch (e.key) {
      case 'ArrowDown':
        next = cur + 1;
        break;
      case 'ArrowUp':
        next = Math.max(0, cur - 1);
        break;
      case 'PageDown':
        next = cur + page;
        break;
      case 'PageUp':
        next = cur - page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = this.total - 1;
        break;
      case 'Enter':
      case ' ': {
        const row = this.row(this.selected);
        if (row !== undefined) this.o.onActivate?.(row, this.selected);
        e.preventDefault();
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    void this.select(next, 'keyboard');
  }
}
