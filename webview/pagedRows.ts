/** A page of rows as the host answers it. */
export interface RowsPage<Row> {
  total: number;
  rows: Row[];
}

export interface PagedRowsOptions<Row> {
  pageSize: number;
  /** Pages kept; the oldest fetched goes first. */
  maxPages: number;
  fetch(offset: number, count: number): Promise<RowsPage<Row>>;
  /** Every answered page carries the row count at that moment. */
  onTotal(total: number): void;
  onError(e: unknown): void;
}

/**
 * Rows held by the host, fetched page by page and cached (the most recent pages only), for the views that show a
 * window of a million rows: the flows grid and the capture timeline. A page is fetched once however many callers
 * ask for it while it is in flight, and answers to requests made before a clear() are dropped.
 */
export class PagedRows<Row> {
  private readonly pages = new Map<number, Row[] | Promise<void>>();
  private generation = 0;

  constructor(private readonly o: PagedRowsOptions<Row>) {}

  /** Forgets every page (new sort, filter or capture). */
  clear(): void {
    this.generation++;
    this.pages.clear();
  }

  row(index: number): Row | undefined {
    const p = this.pages.get(Math.floor(index / this.o.pageSize));
    return Array.isArray(p) ? p[index % this.o.pageSize] : undefined;
  }

  pageOf(index: number): number {
    return Math.floor(index / this.o.pageSize);
  }

  load(page: number): Promise<void> {
    const have = this.pages.get(page);
    if (Array.isArray(have)) return Promise.resolve();
    if (have) return have;
    const gen = this.generation;
    const size = this.o.pageSize;
    const p = this.o
      .fetch(page * size, size)
      .then((res) => {
        if (gen !== this.generation) return;
        this.o.onTotal(res.total);
        this.pages.set(page, res.rows);
        while (this.pages.size > this.o.maxPages) this.pages.delete(this.pages.keys().next().value!);
      })
      .catch((e: unknown) => {
        if (gen === this.generation) this.pages.delete(page);
        this.o.onError(e);
      });
    this.pages.set(page, p);
    return p;
  }
}
