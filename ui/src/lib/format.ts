/** Formats a count for people: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

/** "1 deal", "2 deals". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
