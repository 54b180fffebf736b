// The deal filters the board, the table and their links share; kept while the app
// is open, so going back to the board finds it as it was left.
import type { DealFilter } from '$lib/api';

export interface FilterState {
  owner_id: number | null;
  segment: string;
  source: string;
  close_from: string;
  close_to: string;
  search: string;
}

export const filters = $state<FilterState>({
  owner_id: null,
  segment: '',
  source: '',
  close_from: '',
  close_to: '',
  search: ''
});

/** The filter as the commands take it: blanks become null. */
export function toQuery(f: FilterState): DealFilter {
  const blank = (s: string) => (s.trim() === '' ? null : s.trim());
  return {
    owner_id: f.owner_id,
    segment: blank(f.segment),
    source: blank(f.source),
    close_from: blank(f.close_from),
    close_to: blank(f.close_to),
    search: blank(f.search)
  };
}

/** Close-period presets relative to `today` (YYYY-MM-DD): this quarter, next quarter. */
export function quarterOf(today: string, offset: number): { from: string; to: string } {
  const year = Number(today.slice(0, 4));
  const q = Math.floor((Number(today.slice(5, 7)) - 1) / 3) + offset;
  const y = year + Math.floor(q / 4);
  const qi = ((q % 4) + 4) % 4;
  const startMonth = qi * 3 + 1;
  const endMonth = startMonth + 2;
  const lastDay = new Date(Date.UTC(y, endMonth, 0)).getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  return { from: `${y}-${pad(startMonth)}-01`, to: `${y}-${pad(endMonth)}-${pad(lastDay)}` };
}
