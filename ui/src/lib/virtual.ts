/** The rows a virtualized list renders: those in view plus `overscan` either side. */
export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 6
): { start: number; end: number } {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total - 1, first) - overscan);
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}

/** The page numbers (of `pageSize` rows) that cover rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const pages: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) pages.push(p);
  return pages;
}

/**
 * Rows fetched page by page as they scroll into view; a page is asked for once.
 * `fetch(offset, limit)` returns the rows from `offset`.
 */
export class PagedRows<T> {
  private rows = new Map<number, T>();
  private requested = new Set<number>();
  constructor(
    private readonly fetch: (offset: number, limit: number) => Promise<T[]>,
    private readonly pageSize = 50,
    private readonly onLoad: () => void = () => {}
  ) {}

  /** Rows already at hand from index 0 (sent with the first answer); their whole pages are not asked for. */
  seed(rows: T[], total: number): void {
    rows.forEach((row, i) => this.rows.set(i, row));
    const covered = rows.length >= total ? Math.ceil(total / this.pageSize) : Math.floor(rows.length / this.pageSize);
    for (let p = 0; p < covered; p++) this.requested.add(p);
  }

  get(index: number): T | undefined {
    return this.rows.get(index);
  }

  /** Asks for the pages covering [start, end) that were not asked for yet. */
  async ensure(start: number, end: number): Promise<void> {
    const wanted = pagesFor(start, end, this.pageSize).filter((p) => !this.requested.has(p));
    for (const p of wanted) this.requested.add(p);
    await Promise.all(
      wanted.map(async (p) => {
        try {
          const rows = await this.fetch(p * this.pageSize, this.pageSize);
          rows.forEach((row, i) => this.rows.set(p * this.pageSize + i, row));
        } catch (e) {
          this.requested.delete(p);
          throw e;
        }
      })
    );
    if (wanted.length) this.onLoad();
  }
}
