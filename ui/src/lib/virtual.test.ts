import { describe, expect, it } from 'vitest';
import { PagedRows, pagesFor, visibleRange } from './virtual';

describe('visibleRange', () => {
  it('renders only the rows in view plus overscan', () => {
    expect(visibleRange(0, 400, 80, 100_000, 2)).toEqual({ start: 0, end: 8 });
    expect(visibleRange(80 * 50_000, 400, 80, 100_000, 2)).toEqual({ start: 49_998, end: 50_008 });
  });
  it('stays inside the list at its end and when empty', () => {
    expect(visibleRange(80 * 99_999, 400, 80, 100_000, 2)).toEqual({ start: 99_997, end: 100_000 });
    expect(visibleRange(500, 400, 80, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('pagesFor and PagedRows', () => {
  it('covers a range with whole pages', () => {
    expect(pagesFor(45, 105, 50)).toEqual([0, 1, 2]);
    expect(pagesFor(10, 10, 50)).toEqual([]);
  });
  it('fetches each page once and places rows by index', async () => {
    const asked: number[] = [];
    const rows = new PagedRows<number>(async (offset, limit) => {
      asked.push(offset);
      return Array.from({ length: limit }, (_, i) => offset + i);
    }, 10);
    await rows.ensure(5, 25);
    await rows.ensure(0, 12);
    expect(asked).toEqual([0, 10, 20]);
    expect(rows.get(17)).toBe(17);
    expect(rows.get(35)).toBeUndefined();
  });
  it('does not ask for pages it was seeded with', async () => {
    const asked: number[] = [];
    const rows = new PagedRows<number>(async (offset, limit) => {
      asked.push(offset);
      return Array.from({ length: limit }, (_, i) => offset + i);
    }, 10);
    rows.seed([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 100);
    await rows.ensure(0, 25);
    expect(asked).toEqual([10, 20]);
    const small = new PagedRows<number>(async () => {
      throw new Error('not asked');
    }, 10);
    small.seed([0, 1, 2], 3);
    await small.ensure(0, 3);
    expect(small.get(2)).toBe(2);
  });

  it('asks again for a page whose fetch failed', async () => {
    let fail = true;
    const rows = new PagedRows<number>(async (offset) => {
      if (fail) throw new Error('busy');
      return [offset];
    }, 10);
    await expect(rows.ensure(0, 1)).rejects.toThrow('busy');
    fail = false;
    await rows.ensure(0, 1);
    expect(rows.get(0)).toBe(0);
  });
});
