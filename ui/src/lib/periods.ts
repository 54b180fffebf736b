// Report periods and payout months, from the workspace's `today` (YYYY-MM-DD, the
// core's clock) rather than the machine's, so they agree with the CLI.
import { quarterOf } from '$lib/filters.svelte';

export type PeriodPreset = 'this-q' | 'last-q' | 'this-year' | 'last-12m' | 'all';

export const PERIOD_PRESETS: { id: PeriodPreset; label: string }[] = [
  { id: 'this-q', label: 'This quarter' },
  { id: 'last-q', label: 'Last quarter' },
  { id: 'this-year', label: 'This year' },
  { id: 'last-12m', label: 'Last 12 months' },
  { id: 'all', label: 'All time' }
];

const pad = (n: number) => String(n).padStart(2, '0');

/** The close-date bounds of a preset; blank bounds mean open-ended. */
export function periodOf(today: string, preset: PeriodPreset): { from: string; to: string } {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  switch (preset) {
    case 'this-q':
      return quarterOf(today, 0);
    case 'last-q':
      return quarterOf(today, -1);
    case 'this-year':
      return { from: `${year}-01-01`, to: `${year}-12-31` };
    case 'last-12m': {
      // The twelve whole months ending with this one.
      const start = month === 12 ? `${year}-01-01` : `${year - 1}-${pad(month + 1)}-01`;
      const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
      return { from: start, to: `${year}-${pad(month)}-${pad(last)}` };
    }
    case 'all':
      return { from: '', to: '' };
  }
}

/** The month before `today`'s (`YYYY-MM`): the payout period that has just ended. */
export function previousMonth(today: string): string {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  return month === 1 ? `${year - 1}-12` : `${year}-${pad(month - 1)}`;
}

/** `YYYY-MM` as "Mar 2026". */
export function monthLabel(month: string): string {
  const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const m = Number(month.slice(5, 7));
  return m >= 1 && m <= 12 ? `${names[m - 1]} ${month.slice(0, 4)}` : month;
}
